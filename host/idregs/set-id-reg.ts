// KVM_SET_ONE_REG on an ID register: the contract, as the kernel states it. Once the VM has run,
// writing the same value succeeds and a different one is -EBUSY; before that, a value with a field
// above what the host supports, a changed field userspace may not write, or a non-zero value in a
// RAZ register is -EINVAL.
import type { IdReg } from './space.ts';

export const EINVAL = 22;
export const EBUSY = 16;

/** Every 4-bit field of `value` is at most the same field of `limit` (unsigned fields). */
export function withinLimit(value: bigint, limit: bigint): boolean {
  for (let lo = 0n; lo < 64n; lo += 4n) if (((value >> lo) & 0xfn) > ((limit >> lo) & 0xfn)) return false;
  return true;
}

/** The errno the contract asks for (0: accepted) when userspace writes `value` over `current`. */
export function setIdRegContract(reg: IdReg, current: bigint, value: bigint, hasRun: boolean): number {
  if (hasRun) return value === current ? 0 : -EBUSY;
  if (reg.raz) return value === 0n ? 0 : -EINVAL;
  if ((value & ~reg.writable) !== (current & ~reg.writable)) return -EINVAL;
  if (!withinLimit(value, reg.limit)) return -EINVAL;
  return 0;
}
