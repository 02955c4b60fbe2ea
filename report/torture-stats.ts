// Stress figures in the kernel's lock torture format (kernel/torture.c __torture_print_stats):
//   spin_lock Writes:  Total: 93746064  Max/Min: 24106/22829   Fail: 0
// '???' when max/2 > min (a thread starved), '!!!' when anything failed; then the latencies.
import type { LockFigures, Percentiles, StressSnapshot } from '../actors/stress/index.ts';

export interface TortureLine {
  total: number;
  max: number;
  min: number;
  starved: boolean;
  fails: number;
}

export function tortureLine(counts: { n: number }[], fails: number): TortureLine {
  const ns = counts.map((c) => c.n);
  const total = ns.reduce((a, b) => a + b, 0);
  const max = ns.length ? Math.max(...ns) : 0;
  const min = ns.length ? Math.min(...ns) : 0;
  return { total, max, min, starved: Math.floor(max / 2) > min, fails };
}

function statsLine(lock: string, what: 'Writes' | 'Reads ', t: TortureLine): string {
  return `${lock} ${what}:  Total: ${t.total}  Max/Min: ${t.max}/${t.min} ${t.starved ? '???' : ''}  Fail: ${t.fails} ${t.fails ? '!!!' : ''}`.trimEnd();
}

const us = (ms: number) => {
  const v = ms * 1000;
  return v >= 100 ? Math.round(v).toString() : v >= 10 ? v.toFixed(1) : v.toFixed(2);
};

function pct(name: string, p: Percentiles): string {
  return `${name} p50/p99/max ${us(p.p50)}/${us(p.p99)}/${us(p.max)} us`;
}

/** The lines for one lock: Writes (and Reads, for an rwlock), then latencies and hold times. */
export function lockLines(l: LockFigures): string[] {
  const out = [statsLine(l.name, 'Writes', tortureLine(l.writes, l.fails))];
  out.push(`  ${pct('write acquire', l.writeLatency)}; ${pct('hold', l.writeHold)}`);
  if (l.kind === 'rwlock' && (l.reads.length || l.readLatency.count)) {
    out.push(statsLine(l.name, 'Reads ', tortureLine(l.reads, 0)));
    out.push(`  ${pct('read acquire', l.readLatency)}; ${pct('hold', l.readHold)}`);
  }
  return out;
}

export function snapshotLines(s: StressSnapshot): string[] {
  const out = s.locks.flatMap(lockLines);
  const rates = Object.entries(s.rates).map(([k, v]) => `${k} ${s.figures[k]} (${Math.round(v)}/s)`);
  if (rates.length) out.push(rates.join(', '));
  return out;
}

/** The JSON form of one lock's figures. */
export function lockJson(l: LockFigures) {
  return {
    name: l.name,
    kind: l.kind,
    writes: { ...tortureLine(l.writes, l.fails), perActor: Object.fromEntries(l.writes.map((w) => [w.actor, w.n])) },
    ...(l.kind === 'rwlock' ? { reads: { ...tortureLine(l.reads, 0), perActor: Object.fromEntries(l.reads.map((w) => [w.actor, w.n])) } } : {}),
    latencyMs: { writeAcquire: l.writeLatency, writeHold: l.writeHold, ...(l.kind === 'rwlock' ? { readAcquire: l.readLatency, readHold: l.readHold } : {}) },
  };
}
