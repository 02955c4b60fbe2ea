// A VMM thread restoring one vCPU's ID registers, as during live migration: KVM_ARM_VCPU_INIT,
// then KVM_SET_ONE_REG for each register, in each design's way:
//   per-vcpu       the vCPU's own copy, frozen once that vCPU has run (seed 003 as posted)
//   per-vm         kvm->arch.id_regs under kvm->arch.config_lock, frozen once the VM has run
//   per-vm-nolock  the same storage, but the freeze check and the write not under the lock
//   per-vm-nolimit a mutant: per-vm without the check against the host's limit
// Every KVM_SET_ONE_REG's return is checked against the contract of set-id-reg.ts, computed
// independently of the design's own code.
import type { KvmIdRegs } from '../host/idregs/kvm.ts';
import { EBUSY, EINVAL, setIdRegContract, withinLimit } from '../host/idregs/set-id-reg.ts';
import { KVM_ARM_VCPU_SVE } from '../host/idregs/kvm.ts';
import { hex } from '../host/layout.ts';
import { note } from '../host/recorder.ts';
import { raiseViolation } from '../host/violations.ts';
import { ID_REG_SPACE, type IdReg } from '../host/idregs/space.ts';
import { defineStepMachine, type StepArgs, type StepState } from './step-machine.ts';

/** Where ID registers live and how KVM_SET_ONE_REG guards them (see the scenario's designs). */
export type IdRegDesign = 'per-vcpu' | 'per-vm' | 'per-vm-nolock' | 'per-vm-nolimit';
/** The invariant that KVM_SET_ONE_REG returns what its contract says. */
export const SET_ONE_REG_CONTRACT = 'set-one-reg-contract';

/** One KVM_SET_ONE_REG of a migration stream. */
export interface RestoreOp {
  reg: IdReg;
  /** The value from the migration stream. */
  value: bigint;
}

interface Locals {
  op: number;
  value: bigint;
  ret: number;
  expected: number;
}

type Args = StepArgs<Locals>;

/** Values a buggy or hostile VMM may send instead, each of which the contract rejects. */
export function invalidVariants(reg: IdReg, value: bigint): bigint[] {
  if (reg.raz) return [1n];
  const out: bigint[] = [];
  for (let lo = 0n; lo < 64n; lo += 4n) {
    const mask = 0xfn << lo;
    const limit = (reg.limit >> lo) & 0xfn;
    if ((reg.writable & mask) !== 0n && limit < 0xfn) {
      out.push((value & ~mask) | ((limit + 1n) << lo)); // above what the host supports
      break;
    }
  }
  for (let lo = 0n; lo < 64n; lo += 4n) {
    const mask = 0xfn << lo;
    if ((reg.writable & mask) === 0n) {
      out.push(value ^ (1n << lo)); // a field userspace may not write
      break;
    }
  }
  return out;
}

/** A VMM thread restoring vCPU `vcpu`'s ID registers (`ops`) in `design`, now and then with an invalid value, as a machine. */
export function vmmRestoreThread(k: KvmIdRegs, vcpu: number, design: IdRegDesign, ops: readonly RestoreOp[], sve: boolean, invalidChance: number) {
  const lockedSet = design === 'per-vm' || design === 'per-vm-nolimit';
  const current = (reg: IdReg) => k.storage.load(vcpu, reg);
  const frozen = () => (design === 'per-vcpu' ? k.vcpu_has_run.at(vcpu).load() !== 0 : k.hasRunOnce());

  /** The design's own set_id_reg(): the checks, in the kernel's order, then the store. */
  const setIdReg = ({ context }: Args) => {
    const reg = ops[context.op].reg;
    const value = context.value;
    const cur = current(reg);
    // The contract, from the VM's point of view just before this step.
    context.expected = setIdRegContract(reg, cur, value, k.vmHasRun.at(0).load() !== 0);
    if (frozen()) context.ret = value === cur ? 0 : -EBUSY;
    else if (reg.raz && value !== 0n) context.ret = -EINVAL;
    else if ((value & ~reg.writable) !== (cur & ~reg.writable)) context.ret = -EINVAL;
    else if (design !== 'per-vm-nolimit' && !withinLimit(value, reg.limit)) context.ret = -EINVAL;
    else context.ret = 0;
  };
  const store = ({ context }: Args) => {
    if (context.ret === 0 && context.value !== current(ops[context.op].reg)) k.storage.store(vcpu, ops[context.op].reg, context.value);
  };
  const finish = ({ context }: Args) => {
    const reg = ops[context.op].reg;
    note(`KVM_SET_ONE_REG(vcpu${vcpu}, ${reg.name}, ${hex(context.value)}) = ${context.ret}`);
    k.results.at(context.ret === 0 ? 0 : context.ret === -EINVAL ? 1 : 2).add(1);
    if (context.ret !== context.expected) {
      raiseViolation(SET_ONE_REG_CONTRACT, `KVM_SET_ONE_REG(vcpu${vcpu}, ${reg.name}, ${hex(context.value)}) returned ${context.ret}, the contract says ${context.expected}`);
    }
    context.op++;
  };
  const setStates: Record<string, StepState<Locals>> =
    design === 'per-vm-nolock'
      ? {
          set_id_reg: { description: 'the freeze and validity checks, without kvm->arch.config_lock', step: { actions: setIdReg, target: 'set_id_reg_write' } },
          set_id_reg_write: { description: 'the write, a step later', step: { actions: [store, finish], target: 'next_reg' } },
        }
      : lockedSet
        ? {
            config_lock: { wait: k.config_lock.waitFor(), step: { actions: () => k.config_lock.lock(), target: 'set_id_reg' } },
            set_id_reg: { description: 'under kvm->arch.config_lock', step: { actions: [setIdReg, store, finish, () => k.config_lock.unlock()], target: 'next_reg' } },
          }
        : { set_id_reg: { description: "into this vCPU's own copy", step: { actions: [setIdReg, store, finish], target: 'next_reg' } } };

  return defineStepMachine<Locals>({
    id: `vmm-restore-${design}`,
    initial: 'kvm_arm_vcpu_init',
    context: { op: 0, value: 0n, ret: 0, expected: 0 },
    states: {
      kvm_arm_vcpu_init: {
        description: 'KVM_ARM_VCPU_INIT; the per-vCPU design saves the sanitised values at this first reset',
        step: {
          actions: () => {
            k.features.at(vcpu).store(sve ? KVM_ARM_VCPU_SVE : 0);
            if (design === 'per-vcpu') for (const reg of ID_REG_SPACE) k.storage.store(vcpu, reg, reg.limit);
            k.target.at(vcpu).store(0);
          },
          target: 'next_reg',
        },
      },
      next_reg: {
        step: [
          { guard: ({ context }) => context.op >= ops.length, target: 'done' },
          {
            description: 'KVM_SET_ONE_REG with the migration stream value, or now and then a value the contract rejects',
            actions: ({ context, event }) => {
              const op = ops[context.op];
              const bad = invalidVariants(op.reg, op.value);
              context.value = bad.length && event.chance(invalidChance) ? bad[event.random(bad.length)] : op.value;
            },
            target: lockedSet ? 'config_lock' : 'set_id_reg',
          },
        ],
      },
      ...setStates,
      done: { final: true },
    },
  });
}
