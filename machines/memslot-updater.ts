// A second VMM thread changing the memory map while the VM is set up (in the manner of the
// memslot_modification_stress_test selftest): it deletes, re-adds and moves slot 1 and turns
// dirty logging on and off for it, each under kvm->slots_lock as KVM_SET_USER_MEMORY_REGION
// does. Deleting or moving a slot unmaps its old range at stage 2 (kvm_arch_flush_shadow_memslot).
import { note } from '../host/recorder.ts';
import { KVM_MEM_LOG_DIRTY_PAGES, VM_HUGETLB } from '../host/spe/memslots.ts';
import { stage2Unmap, stage2WrProtect } from '../host/spe/stage2-ops.ts';
import { CAUSE_MEMSLOT, F, SLOT1_FRAME, SLOT1_GFN, SLOT1_MOVED_GFN, SLOT1_PAGES, type SpeHost } from '../host/spe/world.ts';
import { defineStepMachine, type StepArgs } from './step-machine.ts';

const SLOT = 1;
type Op = 'delete' | 'create' | 'move' | 'log';

interface Locals {
  done: number;
  op: string;
}

/** The second VMM thread as a machine: `updates` memslot deletes, re-adds, moves and dirty-logging toggles of slot 1, each under kvm->slots_lock. */
export function memslotUpdater(h: SpeHost, updates: number) {
  const { memslots, slots_lock: lock } = h;

  const choose = ({ context, event }: StepArgs<Locals>) => {
    const present = memslots.get(SLOT) !== undefined;
    const ops: Op[] = present ? ['delete', 'move', 'log'] : ['create'];
    context.op = ops[event.random(ops.length)];
  };

  const update = ({ context }: StepArgs<Locals>) => {
    const s = memslots.get(SLOT);
    const op = context.op as Op;
    if (op === 'create' || !s) {
      // Re-created hugetlb-backed: FINALIZE treats it as locked without mlock().
      memslots.set(SLOT, { base_gfn: SLOT1_GFN, npages: SLOT1_PAGES, frame: SLOT1_FRAME, flags: 0, vmFlags: VM_HUGETLB });
    } else if (op === 'delete') {
      memslots.remove(SLOT);
      stage2Unmap(h, s.base_gfn, s.npages, 'memslot', CAUSE_MEMSLOT);
    } else if (op === 'move') {
      memslots.remove(SLOT);
      stage2Unmap(h, s.base_gfn, s.npages, 'memslot', CAUSE_MEMSLOT);
      memslots.set(SLOT, { ...s, base_gfn: s.base_gfn === SLOT1_GFN ? SLOT1_MOVED_GFN : SLOT1_GFN });
    } else {
      const flags = s.flags ^ KVM_MEM_LOG_DIRTY_PAGES;
      memslots.setFlags(SLOT, flags);
      if (flags & KVM_MEM_LOG_DIRTY_PAGES) stage2WrProtect(h, { ...s, flags });
    }
    note(`KVM_SET_USER_MEMORY_REGION(slot ${SLOT}): ${op}`);
    h.fig.at(F.memslotUpdates).add(1);
    context.done++;
    lock.unlock();
  };

  return defineStepMachine<Locals>({
    id: 'vmm-memslots',
    initial: 'next_update',
    context: { done: 0, op: '' },
    states: {
      next_update: {
        step: [{ guard: ({ context }) => context.done >= updates, target: 'done' }, { actions: choose, target: 'mutex_lock' }],
      },
      mutex_lock: { description: 'mutex_lock(&kvm->slots_lock)', wait: lock.waitFor(), step: { actions: () => lock.lock(), target: 'kvm_set_memory_region' } },
      kvm_set_memory_region: { description: 'the update, its stage-2 consequences, mutex_unlock', step: { actions: update, target: 'next_update' } },
      done: { final: true },
    },
  });
}
