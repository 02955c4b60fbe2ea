// kernel/locking/locktorture.c as a scenario: writers (and readers, for the rwlock) take the
// lock, check the shared held counts, hold it briefly (now and then long), and release. Under a
// scheduler (check, explore) each writer does a few acquisitions and the search looks for two
// writers inside at once; under `hyprace stress` the loops never end and real threads race.
import { defineScenario, defineStepMachine, Mutex, RwLock, Spinlock, raiseViolation, type ActorDefinition, type Layout, type Word } from 'hyprace';
import { BustedLock, torture_msleep, torture_udelay } from 'hyprace/locktorture';

export type TortureLockKind = 'spinlock' | 'mutex' | 'rwlock' | 'lock_busted';

export interface LockTortureOptions {
  lock: TortureLockKind;
  writers: number;
  /** Readers (rwlock only). */
  readers: number;
  /** Acquisitions per thread; 0: loop until stopped (stress). */
  loops: number;
  /** Short hold, busy-waited, in microseconds (free mode only). */
  shortHoldUs: number;
  /** Chance that a hold is long (locktorture: now and then, to let waiters pile up). */
  longHoldChance: number;
  longHoldMs: number;
  /** Test knob: writer 0 sleeps this long after each release, so it is starved on purpose. */
  starveMs: number;
}

const DEFAULTS: LockTortureOptions = { lock: 'spinlock', writers: 2, readers: 0, loops: 2, shortHoldUs: 2, longHoldChance: 0, longHoldMs: 5, starveMs: 0 };

interface TortureHost {
  opts: LockTortureOptions;
  spin?: Spinlock;
  mutex?: Mutex;
  rw?: RwLock;
  busted?: BustedLock;
  /** lock_is_write_held, as a count so that two writers inside show as 2. */
  lock_is_write_held: Word;
  lock_is_read_held: Word;
  n_lock_fail: Word;
  name: string;
}

const LOCK_NAMES: Record<TortureLockKind, string> = { spinlock: 'spin_lock', mutex: 'mutex_lock', rwlock: 'rw_lock', lock_busted: 'lock_busted' };

function host(layout: Layout, o: LockTortureOptions): TortureHost {
  const name = LOCK_NAMES[o.lock];
  return {
    opts: o,
    name,
    spin: o.lock === 'spinlock' ? new Spinlock(layout, name) : undefined,
    mutex: o.lock === 'mutex' ? new Mutex(layout, name) : undefined,
    rw: o.lock === 'rwlock' ? new RwLock(layout, name) : undefined,
    busted: o.lock === 'lock_busted' ? new BustedLock(layout, name) : undefined,
    lock_is_write_held: layout.word('lock_is_write_held'),
    lock_is_read_held: layout.word('lock_is_read_held'),
    n_lock_fail: layout.word('n_lock_fail'),
  };
}

type Locals = { left: number; long: number };

function fail(h: TortureHost, invariant: string, message: string): void {
  h.n_lock_fail.add(1);
  raiseViolation(invariant, message);
}

/** lock_torture_writer(): lock, check and set lock_is_write_held, delay, clear, unlock. */
function lockTortureWriter(h: TortureHost, w: number) {
  const o = h.opts;
  const writeLock = (): Record<string, object> => {
    if (h.busted) {
      const b = h.busted;
      return {
        torture_lock_write_lock: {
          description: 'torture_lock_busted_write_lock(): test the word…',
          wait: b.waitFor(),
          step: [{ guard: () => b.test(), target: 'busted_set' }, { target: 'torture_lock_write_lock' }],
        },
        busted_set: { description: '…then set it: not atomic with the test', step: { actions: () => b.set(), target: 'lock_is_write_held' } },
      };
    }
    const lock = h.spin ?? h.mutex;
    return {
      torture_lock_write_lock: {
        wait: h.rw ? h.rw.waitFor('write') : lock!.waitFor(),
        step: { actions: () => (h.rw ? h.rw.write_lock() : lock!.lock()), target: 'lock_is_write_held' },
      },
    };
  };
  const unlock = () => (h.busted ? h.busted.unlock() : h.rw ? h.rw.write_unlock() : (h.spin ?? h.mutex)!.unlock());
  return defineStepMachine<Locals>({
    id: `lock_torture_writer-${o.lock}`,
    initial: 'torture_lock_write_lock',
    context: () => ({ left: o.loops, long: 0 }),
    states: {
      ...writeLock(),
      lock_is_write_held: {
        description: 'WARN_ON_ONCE(lock_is_write_held); lock_is_write_held = true; n_lock_acquired++',
        step: {
          actions: ({ context, event }) => {
            const writers = h.lock_is_write_held.add(1);
            if (writers !== 1) fail(h, 'one-writer', `writer ${w} got ${h.name} while ${writers - 1} other writer(s) held it`);
            const readers = h.lock_is_read_held.load();
            if (readers !== 0) fail(h, 'no-reader-with-writer', `writer ${w} got ${h.name} while ${readers} reader(s) held it`);
            context.long = o.longHoldChance > 0 && event.chance(o.longHoldChance) ? 1 : 0;
          },
          target: 'torture_write_delay',
        },
      },
      torture_write_delay: {
        description: 'cxt.cur_ops->write_delay(): short, and now and then long',
        step: { actions: ({ context }) => (context.long ? torture_msleep(o.longHoldMs) : torture_udelay(o.shortHoldUs)), target: 'torture_lock_write_unlock' },
      },
      torture_lock_write_unlock: {
        description: 'lock_is_write_held = false; writeunlock()',
        step: [
          {
            guard: ({ context }) => context.left === 1,
            actions: [() => h.lock_is_write_held.add(-1), unlock],
            target: 'done',
          },
          {
            actions: [
              () => h.lock_is_write_held.add(-1),
              unlock,
              ({ context }) => {
                if (context.left > 0) context.left--;
                if (w === 0) torture_msleep(o.starveMs);
              },
            ],
            target: 'torture_lock_write_lock',
          },
        ],
      },
      done: { final: true },
    },
  });
}

/** lock_torture_reader(): read-lock, check lock_is_write_held, delay, read-unlock. */
function lockTortureReader(h: TortureHost, r: number) {
  const o = h.opts;
  const rw = h.rw!;
  return defineStepMachine<Locals>({
    id: 'lock_torture_reader-rwlock',
    initial: 'torture_lock_read_lock',
    context: () => ({ left: o.loops, long: 0 }),
    states: {
      torture_lock_read_lock: { wait: rw.waitFor('read'), step: { actions: () => rw.read_lock(), target: 'lock_is_read_held' } },
      lock_is_read_held: {
        description: 'atomic_inc(&lock_is_read_held); WARN_ON_ONCE(lock_is_write_held)',
        step: {
          actions: () => {
            h.lock_is_read_held.add(1);
            const writers = h.lock_is_write_held.load();
            if (writers !== 0) fail(h, 'no-reader-with-writer', `reader ${r} got ${h.name} while a writer held it`);
          },
          target: 'torture_read_delay',
        },
      },
      torture_read_delay: { step: { actions: () => torture_udelay(o.shortHoldUs), target: 'torture_lock_read_unlock' } },
      torture_lock_read_unlock: {
        step: [
          { guard: ({ context }) => context.left === 1, actions: [() => h.lock_is_read_held.add(-1), () => rw.read_unlock()], target: 'done' },
          {
            actions: [() => h.lock_is_read_held.add(-1), () => rw.read_unlock(), ({ context }) => void (context.left > 0 && context.left--)],
            target: 'torture_lock_read_lock',
          },
        ],
      },
      done: { final: true },
    },
  });
}

export default defineScenario({
  name: 'locktorture',
  title: 'kernel/locking/locktorture.c: writers and readers hammer one lock; lock_busted must fail',
  options: DEFAULTS,
  optionSpecs: {
    lock: { choices: ['spinlock', 'mutex', 'rwlock', 'lock_busted'], description: 'the lock tortured (each design sets it)' },
    writers: { integer: true, min: 1, max: 62, description: 'writer threads' },
    readers: { integer: true, min: 0, max: 61, description: 'reader threads (rwlock only; writers + readers at most 62)' },
    loops: { integer: true, min: 0, max: 1_000_000, description: 'acquisitions per thread; 0: until stopped (stress)' },
    shortHoldUs: { min: 0, max: 10_000, description: 'short hold, busy-waited, microseconds (free mode)' },
    longHoldChance: { min: 0, max: 1, description: 'chance a hold is long' },
    longHoldMs: { min: 0, max: 1000, description: 'long hold, milliseconds (free mode)' },
    starveMs: { min: 0, max: 10_000, description: 'writer 0 sleeps this long after each release (free mode)' },
  },
  // The rwlock tracks its readers in a 62-bit mask.
  checkOptions: (o) => (o.writers + o.readers > 62 ? `writers + readers is ${o.writers + o.readers}; at most 62` : null),
  designs: {
    spinlock: { description: 'spin_lock: the Atomics spinlock (pure spinning in free mode)', expect: 'holds', options: { lock: 'spinlock' } },
    mutex: { description: 'mutex_lock: spins briefly, then sleeps on the lock word (futex style)', expect: 'holds', options: { lock: 'mutex' } },
    rwlock: { description: 'rw_lock: writers and readers', expect: 'holds', options: { lock: 'rwlock', writers: 2, readers: 1 } },
    'lock-busted': {
      description: 'lock_busted: test-then-set without atomicity, lets two writers in',
      expect: 'caught',
      expectInvariants: ['one-writer'],
      options: { lock: 'lock_busted' },
    },
  },
  budget: { strategy: 'pct', depth: 3, iterations: 2000, timeSeconds: 5, stepLimit: 500 },
  host: (layout, design) => host(layout, design.options),
  actors: (h) => {
    const actors: ActorDefinition[] = [];
    for (let w = 0; w < h.opts.writers; w++) actors.push({ name: `writer${w}`, machine: lockTortureWriter(h, w) });
    if (h.rw) for (let r = 0; r < h.opts.readers; r++) actors.push({ name: `reader${r}`, machine: lockTortureReader(h, r) });
    return actors;
  },
  invariants: [
    { name: 'one-writer', description: 'at most one writer holds the lock (lock_is_write_held)', check: (h) => (h.lock_is_write_held.peek() > 1 ? `${h.lock_is_write_held.peek()} writers hold ${h.name}` : null) },
    {
      name: 'no-reader-with-writer',
      description: 'no reader holds the lock while a writer does (lock_is_read_held)',
      check: (h) => (h.lock_is_write_held.peek() > 0 && h.lock_is_read_held.peek() > 0 ? `${h.lock_is_read_held.peek()} reader(s) and a writer hold ${h.name}` : null),
    },
  ],
  figures: (h) => ({ failures: h.n_lock_fail.peek() }),
  stress: {
    defaultWorkers: 4,
    atomicSteps: false,
    // As locktorture's defaults: for the rwlock, as many readers as writers.
    options: (workers, flags, o) => ({
      loops: 0,
      writers: o.lock === 'rwlock' ? Math.max(1, Math.ceil(workers / 2)) : workers,
      readers: o.lock === 'rwlock' ? Math.max(1, Math.floor(workers / 2)) : 0,
      longHoldChance: flags.longHold ? 0.002 : 0,
    }),
    failures: (h) => ({ [h.name]: h.n_lock_fail.peek() }),
  },
});
