// The VMM's main thread setting up a VM with SPE (seed 000): KVM_ARM_VCPU_INIT and the SPE
// vCPU attribute for each vCPU, mlock() of guest memory, then KVM_ARM_VM_SPE_CTRL /
// KVM_ARM_VM_SPE_FINALIZE, retried on -EAGAIN. Now and then it calls FINALIZE too early
// (-ENXIO), twice (-EBUSY), or resets a vCPU afterwards, which must clear `finalized`.
// FINALIZE by design:
//   pin-all                as the RFC meant it: under kvm->slots_lock, map every writable
//                          VM_LOCKED (or hugetlb), non-logging memslot, -EAGAIN if an MMU
//                          notifier ran meanwhile
//   pin-all-typo           as posted: mutex_unlock(&kvm->slots_lock) where mutex_lock belongs
//   pin-all-no-definalize  mutant: KVM_ARM_VCPU_INIT leaves `finalized` set
//   pin-all-no-eagain      mutant: no check of kvm->mmu_invalidate_seq
// Every return is checked against the ioctl contract, kept apart from KVM's own flags.
import { note } from '../host/recorder.ts';
import { raiseViolation } from '../host/violations.ts';
import { KVM_MEM_READONLY, VM_LOCKED, finalizeMaps, type Memslot } from '../host/spe/memslots.ts';
import { stage2MapSlot, stage2State } from '../host/spe/stage2-ops.ts';
import { F, type FinalizeDesign, type SpeHost } from '../host/spe/world.ts';
import { defineStepMachine, type StepArgs } from './step-machine.ts';
import { contractChanged } from '../host/spe/ioctl-contract.ts';
import { underMmuLock, underVcpuMutex } from '../host/spe/kvm-locks.ts';

/** The invariant that FINALIZE and KVM_RUN return what their contract says. */
export const IOCTL_CONTRACT = 'ioctl-contract';
/** The invariant that a successful FINALIZE left every eligible page mapped writable. */
export const SPE_PREMAPPED = 'spe-premapped';
export const ENXIO = 6;
export const EAGAIN = 11;
export const EBUSY = 16;
export const EPERM = 1;
const MAX_FINALIZE_TRIES = 3;

interface Locals {
  program: string[];
  pc: number;
  round: number;
  ret: number;
  expected: number;
  seqAtCall: number;
  seqAtLock: number;
  slot: number;
  snapshot: string;
  tries: number;
}
type Args = StepArgs<Locals>;

/** Per the notes' contract: what FINALIZE must return given the VM's state when it is called. */
function finalizeContract(h: SpeHost): number {
  for (let v = 0; v < h.opts.vcpus; v++) if (!h.speInit.peek(v)) return -ENXIO;
  return h.contractFinalized.peek() ? -EBUSY : 0;
}

/** The VMM's set-up thread as a machine, FINALIZE in `design`. */
export function speFinalizeVmm(h: SpeHost, design: FinalizeDesign) {
  const { opts, memslots, slots_lock: lock, fig } = h;
  const typo = design === 'pin-all-typo';

  const kvmArmVcpuInit = (v: number) =>
    underVcpuMutex(h, v, () => {
      h.vcpuInit.at(v).store(1);
      // kvm_arm_spe_notify_vcpu_init(): a reset vCPU needs FINALIZE again.
      if (design !== 'pin-all-no-definalize') h.finalized.store(0);
      h.contractFinalized.store(0);
      contractChanged(h);
      note(`KVM_ARM_VCPU_INIT(vcpu${v})`);
    });

  const plan = ({ context, event }: Args) => {
    const p: string[] = [];
    for (let v = 0; v < opts.vcpus; v++) p.push(`vcpu_init ${v}`);
    for (let v = 0; v < opts.vcpus; v++) {
      if (event.chance(0.3)) p.push('finalize');
      p.push(`spe_init ${v}`);
    }
    p.push('mlock', 'finalize');
    if (event.chance(0.3)) p.push('finalize');
    if (event.chance(opts.reinitChance)) {
      p.push(`vcpu_init ${event.random(opts.vcpus)}`);
      if (event.chance(0.5)) p.push('finalize');
    }
    context.program = p;
  };

  const op = (c: Locals) => c.program[c.pc]?.split(' ')[0];
  const arg = (c: Locals) => Number(c.program[c.pc].split(' ')[1]);

  return defineStepMachine<Locals>({
    id: `vmm-spe-${design}`,
    initial: 'start',
    context: { program: [], pc: 0, round: 0, ret: 0, expected: 0, seqAtCall: 0, seqAtLock: 0, slot: 0, snapshot: '', tries: 0 },
    states: {
      start: { description: 'the VMM decides its sequence of ioctls', step: { actions: plan, target: 'next_ioctl' } },
      next_ioctl: {
        step: [
          {
            guard: ({ context }) => context.pc >= context.program.length && context.round + 1 < opts.setupRounds,
            description: 'another round: reset a vCPU, initialise its SPE again, FINALIZE again',
            actions: ({ context, event }) => {
              const v = event.random(opts.vcpus);
              context.program = [`vcpu_init ${v}`, `spe_init ${v}`, 'finalize'];
              context.pc = 0;
              context.round++;
            },
          },
          { guard: ({ context }) => context.pc >= context.program.length, actions: () => h.vmmDone.store(1), target: 'done' },
          {
            guard: ({ context }) => op(context) === 'vcpu_init',
            actions: ({ context }) => {
              kvmArmVcpuInit(arg(context));
              context.pc++;
            },
          },
          {
            guard: ({ context }) => op(context) === 'spe_init',
            description: 'KVM_SET_DEVICE_ATTR(KVM_ARM_VCPU_SPE_CTRL, KVM_ARM_VCPU_SPE_INIT)',
            actions: ({ context }) => {
              h.speInit.at(arg(context)).store(1);
              context.pc++;
            },
          },
          {
            guard: ({ context }) => op(context) === 'mlock',
            description: 'mlock() of the guest RAM slots: VM_LOCKED',
            actions: ({ context }) => {
              for (let id = 0; id < memslots.count; id++) {
                const s = memslots.get(id);
                if (s && !(s.flags & KVM_MEM_READONLY)) memslots.setVmFlags(id, s.vmFlags | VM_LOCKED);
              }
              context.pc++;
            },
          },
          {
            description: 'KVM_SET_DEVICE_ATTR(KVM_ARM_VM_SPE_CTRL, KVM_ARM_VM_SPE_FINALIZE)',
            actions: ({ context }) => {
              context.tries = 0;
            },
            target: 'kvm_arm_spe_finalize',
          },
        ],
      },
      kvm_arm_spe_finalize: {
        description: 'kvm_for_each_vcpu: every vCPU must have SPE initialised',
        step: [
          {
            actions: ({ context }) => {
              context.expected = finalizeContract(h);
              context.seqAtCall = h.mmu_invalidate_seq.peek();
              context.tries++;
              context.ret = 0;
              h.finalizeInFlight.store(1);
              for (let v = 0; v < opts.vcpus; v++) if (!h.speInit.at(v).load()) context.ret = -ENXIO;
            },
            target: 'check_vcpus',
          },
        ],
      },
      check_vcpus: {
        step: [
          { guard: ({ context }) => context.ret !== 0, target: 'finalize_return' },
          typo
            ? { description: 'mutex_unlock(&kvm->slots_lock): the typo', actions: () => lock.unlock('mutex_unlock'), target: 'check_finalized' }
            : { description: 'mutex_lock(&kvm->slots_lock)', target: 'mutex_lock' },
        ],
      },
      mutex_lock: { wait: lock.waitFor(), step: { actions: () => lock.lock(), target: 'check_finalized' } },
      check_finalized: {
        step: [
          {
            guard: () => h.finalized.load() !== 0,
            actions: ({ context }) => void (context.ret = -EBUSY),
            target: 'mutex_unlock',
          },
          {
            actions: ({ context }) => {
              context.seqAtLock = h.mmu_invalidate_seq.load();
              context.slot = 0;
            },
            target: 'read_memslot',
          },
        ],
      },
      read_memslot: {
        description: 'kvm_for_each_memslot: the next slot',
        step: [
          { guard: ({ context }) => context.slot >= memslots.count, target: 'check_invalidate_seq' },
          {
            actions: ({ context }) => {
              const s = memslots.get(context.slot);
              context.snapshot = s && finalizeMaps(s) ? JSON.stringify(s) : '';
            },
            target: 'map_memslot',
          },
        ],
      },
      map_memslot: {
        description: 'map the slot writable at stage 2, page by page',
        step: {
          actions: ({ context }) => {
            const s = context.snapshot ? (JSON.parse(context.snapshot) as Memslot) : undefined;
            if (s) stage2MapSlot(h, s, 'finalize');
            context.snapshot = '';
            context.slot++;
          },
          target: 'read_memslot',
        },
      },
      check_invalidate_seq: {
        description: '-EAGAIN if an MMU notifier ran while the slots were mapped',
        step: {
          actions: ({ context }) => {
            // mmu_invalidate_retry() under kvm->mmu_lock.
            if (design !== 'pin-all-no-eagain' && underMmuLock(h, () => h.mmu_invalidate_seq.load()) !== context.seqAtLock) {
              context.ret = -EAGAIN;
              return;
            }
            h.finalized.store(1);
            // What FINALIZE promises on success, checked as it returns.
            for (let id = 0; id < memslots.count; id++) {
              const s = memslots.peek(id);
              if (!s || !finalizeMaps(s)) continue;
              for (let g = s.base_gfn; g < s.base_gfn + s.npages; g++) {
                if (stage2State(h, g) !== 'writable') raiseViolation(SPE_PREMAPPED, `FINALIZE succeeds but gfn ${g} of VM_LOCKED slot ${id} is not mapped writable at stage 2`);
              }
            }
          },
          target: 'mutex_unlock',
        },
      },
      mutex_unlock: { description: 'mutex_unlock(&kvm->slots_lock)', step: { actions: () => lock.unlock(), target: 'finalize_return' } },
      finalize_return: {
        step: {
          actions: ({ context }) => {
            const { ret, expected } = context;
            const raced = h.mmu_invalidate_seq.peek() !== context.seqAtCall;
            const ok = ret === expected || (expected === 0 && ret === -EAGAIN && raced);
            note(`KVM_ARM_VM_SPE_FINALIZE = ${ret}`);
            if (!ok) raiseViolation(IOCTL_CONTRACT, `FINALIZE returned ${ret}, the contract says ${expected}${expected === 0 ? ' (or -EAGAIN after an invalidation)' : ''}`);
            if (ret === 0) {
              h.contractFinalized.store(1);
              contractChanged(h);
            }
            h.finalizeInFlight.store(0);
            fig.at(ret === 0 ? F.finalizeOk : ret === -ENXIO ? F.finalizeEnxio : ret === -EBUSY ? F.finalizeEbusy : F.finalizeEagain).add(1);
          },
          target: 'after_finalize',
        },
      },
      after_finalize: {
        step: [
          { guard: ({ context }) => context.ret === -EAGAIN && context.tries < MAX_FINALIZE_TRIES, description: 'the VMM retries', target: 'kvm_arm_spe_finalize' },
          { actions: ({ context }) => void context.pc++, target: 'next_ioctl' },
        ],
      },
      done: { final: true },
    },
  });
}
