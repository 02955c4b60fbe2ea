// A worked example of a scenario file: a counter of pages mapped by memslots, kept in
// kvm->nr_memslot_pages, which two VMM threads update when they add memslots. The kernel updates
// it under kvm->slots_lock; the design 'unlocked-path' has one path that reads, adds and writes it
// without the lock, and loses an update when the two threads interleave.
//
// Run it:   npx hyprace explore examples/lost-update.ts --design unlocked-path
import { defineScenario, defineStepMachine, Mutex, type Word } from 'hyprace';

interface Options {
  /** Memslots each VMM thread adds. */
  slots: number;
  /** Pages in each memslot. */
  pages: number;
  /** Whether the second thread's path takes kvm->slots_lock. */
  secondPathLocked: boolean;
}

interface Host {
  slots_lock: Mutex;
  nr_memslot_pages: Word;
  /** Ghost: pages added, counted outside the modelled code, for the invariant. */
  pages_added: Word;
  opts: Options;
}

/** One VMM thread adding memslots: lock, read the counter, write it back plus the slot's pages. */
function vmmThread(h: Host, locked: boolean) {
  return defineStepMachine<{ left: number; seen: number }>({
    id: locked ? 'vmm-locked' : 'vmm-unlocked',
    initial: 'next_slot',
    context: { left: h.opts.slots, seen: 0 },
    states: {
      next_slot: {
        step: [
          { guard: ({ context }) => context.left === 0, target: 'done' },
          { guard: () => locked, target: 'mutex_lock' },
          { target: 'read_pages' },
        ],
      },
      mutex_lock: { wait: h.slots_lock.waitFor(), step: { actions: () => h.slots_lock.lock(), target: 'read_pages' } },
      read_pages: { step: { actions: ({ context }) => void (context.seen = h.nr_memslot_pages.load()), target: 'write_pages' } },
      write_pages: {
        step: {
          actions: ({ context }) => {
            h.nr_memslot_pages.store(context.seen + h.opts.pages);
            h.pages_added.add(h.opts.pages);
            context.left--;
            if (locked) h.slots_lock.unlock();
          },
          target: 'next_slot',
        },
      },
      done: { final: true },
    },
  });
}

export default defineScenario({
  name: 'lost-update',
  title: 'kvm->nr_memslot_pages updated by two VMM threads, one path without kvm->slots_lock',
  options: { slots: 2, pages: 512, secondPathLocked: true } as Options,
  // What each option takes: `--set slots=0` is refused before anything runs.
  optionSpecs: {
    slots: { integer: true, min: 1, max: 100, description: 'memslots each thread adds' },
    pages: { integer: true, min: 1, max: 1 << 20, description: 'pages per memslot' },
  },
  designs: {
    locked: { description: 'both paths take kvm->slots_lock', expect: 'holds' },
    'unlocked-path': { description: 'the second thread updates the counter without the lock', expect: 'caught', options: { secondPathLocked: false } },
  },
  budget: { strategy: 'random', iterations: 2000, timeSeconds: 5 },
  host: (layout, design) => ({
    slots_lock: new Mutex(layout, 'kvm->slots_lock'),
    nr_memslot_pages: layout.word('kvm->nr_memslot_pages'),
    pages_added: layout.word('pages added (ghost)', { ghost: true }),
    opts: design.options,
  }),
  actors: (h) => [
    { name: 'vmm0', machine: vmmThread(h, true) },
    { name: 'vmm1', machine: vmmThread(h, h.opts.secondPathLocked) },
  ],
  invariants: [
    {
      name: 'pages-accounted',
      description: 'kvm->nr_memslot_pages counts every page added (the counter and the ghost change in the same step)',
      check: (h) => {
        const counted = h.nr_memslot_pages.peek();
        const added = h.pages_added.peek();
        return counted !== added ? `kvm->nr_memslot_pages is ${counted} but ${added} pages were added: an update was lost` : null;
      },
    },
  ],
});
