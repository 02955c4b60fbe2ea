// One thread of the lock benchmark: take the lock, bump a counter it guards, release, as fast as
// it can until told to stop (lock_torture_writer without the delays).
import { execution } from '../host/execution.ts';
import { Layout } from '../host/layout.ts';
import { Mutex, Spinlock } from '../host/locks.ts';

export interface LockBenchTask {
  kind: 'spinlock' | 'mutex';
  sab: SharedArrayBuffer;
  me: number;
}

/** The same layout in every thread: the lock, then go/stop, the guarded counter, the last owner. */
export function lockBenchLayout(kind: LockBenchTask['kind']) {
  const layout = new Layout();
  const lock = kind === 'mutex' ? new Mutex(layout, 'bench_mutex') : new Spinlock(layout, 'bench_spinlock');
  const ctl = layout.words('ctl', 4); // 0 go, 1 stop, 2 guarded counter, 3 last owner + 1
  return { layout, lock, ctl };
}

export default function lockBenchWorker(t: LockBenchTask): { acquisitions: number; handoffs: number; broken: number } {
  const { layout, lock, ctl } = lockBenchLayout(t.kind);
  layout.bind(t.sab);
  execution.mode = 'free';
  execution.actor = t.me;
  const a = ctl.array;
  const i = ctl.index;
  while (Atomics.load(a, i) === 0) Atomics.wait(a, i, 0, 10);
  let acquisitions = 0;
  let handoffs = 0;
  let broken = 0;
  while (Atomics.load(a, i + 1) === 0) {
    lock.lock();
    // Plain read-modify-write: only the lock keeps it exact.
    const c = a[i + 2];
    a[i + 2] = c + 1;
    if (a[i + 3] !== t.me + 1) {
      handoffs++;
      a[i + 3] = t.me + 1;
    }
    acquisitions++;
    lock.unlock();
  }
  if (a[i + 2] < acquisitions) broken++;
  return { acquisitions, handoffs, broken };
}
