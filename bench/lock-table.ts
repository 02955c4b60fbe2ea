// The lock benchmark as a table: acquisitions and handoffs per second by lock and workers, then
// the ratios against the native locks.
import { table } from '../cli/format.ts';
import { LOCK_WORKERS, type LockBench } from './locks.ts';

const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

export function lockTable(b: LockBench): string {
  const locks = [...new Set(b.rows.map((r) => r.lock))];
  const cell = (lock: string, n: number) => {
    const r = b.rows.find((x) => x.lock === lock && x.workers === n);
    return r ? `${fmt(r.perSec)} (${fmt(r.handoffsPerSec)})${r.exact ? '' : ' NOT EXCLUSIVE'}` : '-';
  };
  const lines = [
    table(['lock: acquisitions/s (handoffs/s), median of 3', ...LOCK_WORKERS.map((n) => `${n} worker${n > 1 ? 's' : ''}`)], locks.map((l) => [l, ...LOCK_WORKERS.map((n) => cell(l, n))])),
  ];
  if (b.native) lines.push(`native reference skipped: ${b.native}`);
  else {
    lines.push(`Atomics mutex / pthread_mutex:       ${LOCK_WORKERS.map((n) => `${n}: ${b.mutexVsPthread[n]}x`).join('  ')}  (target: >= 0.33x contended)`);
    lines.push(`Atomics spinlock / pthread_spinlock: ${LOCK_WORKERS.map((n) => `${n}: ${b.spinVsPthreadSpin[n]}x`).join('  ')}`);
  }
  return lines.join('\n');
}
