// The host's memory management acting on the VM's memory behind KVM's back: NUMA balancing,
// KSM and THP splits each end in an MMU-notifier invalidation that bumps
// kvm->mmu_invalidate_seq and unmaps the range at stage 2. Pinning a page does not stop NUMA
// balancing or a THP split from invalidating its stage-2 entry; KSM skips pinned pages.
import { note } from '../host/recorder.ts';
import { gfnToFrame } from '../host/spe/memslots.ts';
import { stage2Unmap } from '../host/spe/stage2-ops.ts';
import { underMmuLock } from '../host/spe/kvm-locks.ts';
import { CAUSE_KSM, CAUSE_NAMES, CAUSE_NUMA, CAUSE_THP_SPLIT, F, RAM_PAGES, type SpeHost } from '../host/spe/world.ts';
import { defineStepMachine } from './step-machine.ts';

const CAUSES = [CAUSE_NUMA, CAUSE_KSM, CAUSE_THP_SPLIT];

/** The host MM as a machine: `invalidations` MMU-notifier invalidations (NUMA balancing, KSM, THP split), each step with chance `chancePerStep`. */
export function hostMm(h: SpeHost, invalidations: number, chancePerStep: number) {
  return defineStepMachine<{ done: number }>({
    id: 'host-mm',
    initial: 'mm',
    context: { done: 0 },
    states: {
      mm: {
        step: [
          { guard: ({ context }) => context.done >= invalidations, target: 'done' },
          {
            description: 'an MMU-notifier invalidation of one page of guest RAM',
            guard: ({ event }) => event.chance(chancePerStep),
            actions: ({ context, event }) => {
              context.done++;
              const gfn = event.random(RAM_PAGES);
              const cause = CAUSES[event.random(CAUSES.length)];
              const slot = h.memslots.find(gfn);
              if (cause === CAUSE_KSM && slot && h.pins.at(gfnToFrame(slot, gfn)).load() > 0) {
                note(`KSM skips gfn ${gfn}: its page is pinned`);
                return;
              }
              // kvm_mmu_invalidate_begin() / _end(): the unmap and the count's bump under kvm->mmu_lock.
              underMmuLock(h, () => {
                h.mmu_invalidate_seq.add(1);
                stage2Unmap(h, gfn, 1, 'mmu-notifier', cause);
              });
              h.fig.at(F.invalidations).add(1);
              note(`${CAUSE_NAMES[cause]}: invalidate gfn ${gfn}`);
            },
          },
          { description: 'the host runs something else' },
        ],
      },
      done: { final: true },
    },
  });
}
