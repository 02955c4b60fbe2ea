// Lock throughput and handoffs of the Atomics locks (host/locks.ts, free mode) with 1, 2, 4 and
// 8 workers, next to pthread_mutex / pthread_spinlock measured in the same run. The figure that
// matters is the hybrid mutex against pthread_mutex under contention, and what happens when
// there are more workers than cores: a pure spinlock collapses (a preempted holder makes every
// waiter spin out its time slice); a lock that sleeps should not.
import { Worker } from 'node:worker_threads';
import { lockBenchLayout, type LockBenchTask } from './lock-worker.ts';
import { compileNativeLocks } from './native-locks.ts';

const WORKER = new URL('./lock-worker.mjs', import.meta.url);
export const LOCK_WORKERS = [1, 2, 4, 8];

export interface LockRow {
  lock: string;
  workers: number;
  perSec: number;
  handoffsPerSec: number;
  /** The guarded counter matched the acquisitions: the lock excluded. */
  exact: boolean;
}

export interface LockBench {
  rows: LockRow[];
  native: string | null;
  /** Atomics mutex / pthread_mutex throughput, per worker count. */
  mutexVsPthread: Record<number, number>;
  spinVsPthreadSpin: Record<number, number>;
}

async function atomicsRun(kind: LockBenchTask['kind'], n: number, ms: number): Promise<LockRow> {
  const { layout, ctl } = lockBenchLayout(kind);
  const memory = layout.bind();
  void memory;
  const workers = Array.from({ length: n }, (_, me) => new Worker(WORKER, { workerData: { kind, sab: layout.memory.sab, me } satisfies LockBenchTask }));
  const results = workers.map((w) => new Promise<{ acquisitions: number; handoffs: number; broken: number }>((resolve, reject) => (w.once('message', resolve), w.once('error', reject))));
  // Let the workers load before the clock starts.
  await new Promise((r) => setTimeout(r, 300 + 100 * n));
  const start = performance.now();
  ctl.at(0).store(1);
  Atomics.notify(ctl.array, ctl.index);
  await new Promise((r) => setTimeout(r, ms));
  ctl.at(1).store(1);
  const rs = await Promise.all(results);
  const secs = (performance.now() - start) / 1000;
  await Promise.all(workers.map((w) => w.terminate()));
  const acq = rs.reduce((s, r) => s + r.acquisitions, 0);
  return { lock: `Atomics ${kind}`, workers: n, perSec: acq / secs, handoffsPerSec: rs.reduce((s, r) => s + r.handoffs, 0) / secs, exact: ctl.at(2).peek() === acq };
}

/** Each cell is measured `reps` times, interleaved with the others so noise spreads evenly; its median row is kept. */
export async function lockBench(ms: number, log: (s: string) => void, reps = 3): Promise<LockBench> {
  const samples = new Map<string, LockRow[]>();
  const add = (r: LockRow) => {
    const key = `${r.lock}/${r.workers}`;
    samples.set(key, [...(samples.get(key) ?? []), r]);
  };
  const native = compileNativeLocks();
  for (let rep = 1; rep <= reps; rep++) {
    for (const n of LOCK_WORKERS) {
      for (const kind of ['mutex', 'spinlock'] as const) {
        log(`lock bench ${rep}/${reps}: Atomics ${kind}, ${n} workers…`);
        add(await atomicsRun(kind, n, ms));
      }
      if (typeof native !== 'string') {
        for (const kind of ['mutex', 'spin'] as const) {
          const r = native.run(kind, n, ms);
          add({ lock: `pthread_${kind === 'mutex' ? 'mutex' : 'spinlock'}`, workers: n, perSec: r.acquisitions / (ms / 1000), handoffsPerSec: r.handoffs / (ms / 1000), exact: r.exact });
        }
      }
    }
  }
  if (typeof native !== 'string') native.dispose();
  const rows = [...samples.values()].map((rs) => {
    const sorted = [...rs].sort((a, b) => a.perSec - b.perSec);
    return { ...sorted[Math.floor(sorted.length / 2)], exact: rs.every((r) => r.exact) };
  });
  const ratio = (a: string, b: string) => Object.fromEntries(LOCK_WORKERS.map((n) => {
    const x = rows.find((r) => r.lock === a && r.workers === n);
    const y = rows.find((r) => r.lock === b && r.workers === n);
    return [n, x && y ? Math.round((x.perSec / y.perSec) * 100) / 100 : NaN];
  }));
  return {
    rows,
    native: typeof native === 'string' ? native : null,
    mutexVsPthread: typeof native === 'string' ? {} : ratio('Atomics mutex', 'pthread_mutex'),
    spinVsPthreadSpin: typeof native === 'string' ? {} : ratio('Atomics spinlock', 'pthread_spinlock'),
  };
}
