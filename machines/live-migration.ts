// The VMM migrating the VM: it turns dirty logging on for guest RAM (slot 0) under
// kvm->slots_lock, which write-protects every stage-2 page, copies for a while, turns it off and
// switches over: the VM resumes on the destination, whose stage 2 starts empty (post-copy).
import { KVM_MEM_LOG_DIRTY_PAGES } from '../host/spe/memslots.ts';
import { stage2WrProtect } from '../host/spe/stage2-ops.ts';
import { resumeOnDestination } from '../host/spe/kvm-spe.ts';
import type { PinningDesign, SpeHost } from '../host/spe/world.ts';
import { defineStepMachine } from './step-machine.ts';

/** The migrating VMM as a machine: dirty logging on (with chance `startChance` a step), `copySteps` of copying, then the switch-over. */
export function liveMigration(h: SpeHost, design: PinningDesign, startChance: number, copySteps: number) {
  const lock = h.slots_lock;
  return defineStepMachine<{ copied: number }>({
    id: 'live-migration',
    initial: 'running',
    context: { copied: 0 },
    states: {
      running: { step: [{ guard: ({ event }) => event.chance(startChance), description: 'the operator starts a migration', target: 'lock_start' }, {}] },
      lock_start: { wait: lock.waitFor(), step: { actions: () => lock.lock(), target: 'log_dirty_pages' } },
      log_dirty_pages: {
        description: 'KVM_SET_USER_MEMORY_REGION with KVM_MEM_LOG_DIRTY_PAGES: write-protect the slot',
        step: {
          actions: () => {
            const slot = h.memslots.get(0)!;
            h.memslots.setFlags(0, slot.flags | KVM_MEM_LOG_DIRTY_PAGES);
            stage2WrProtect(h, { ...slot, flags: slot.flags | KVM_MEM_LOG_DIRTY_PAGES });
            lock.unlock();
          },
          target: 'copying',
        },
      },
      copying: {
        description: 'KVM_GET_DIRTY_LOG rounds, copying dirty pages',
        step: [{ guard: ({ context }) => context.copied >= copySteps, target: 'lock_stop' }, { actions: ({ context }) => void context.copied++ }],
      },
      lock_stop: { wait: lock.waitFor(), step: { actions: () => lock.lock(), target: 'stop_logging' } },
      stop_logging: {
        description: 'dirty logging off, switch-over: the VM resumes on the destination',
        step: {
          actions: () => {
            h.memslots.setFlags(0, h.memslots.get(0)!.flags & ~KVM_MEM_LOG_DIRTY_PAGES);
            resumeOnDestination(h, design);
            lock.unlock();
          },
          target: 'done',
        },
      },
      done: { final: true },
    },
  });
}
