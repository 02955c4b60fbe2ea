// A trace as Chrome trace-event JSON, which Perfetto UI (ui.perfetto.dev) and chrome://tracing
// open: one track per actor with each step as a slice named by the label whose code it ran, one
// track per lock showing who held it, and the violation as an instant event. Steps are placed
// 10 µs apart: the order is real, the durations are not.
import type { Trace } from '../actors/trace/index.ts';

const STEP_US = 10;

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  s?: string;
  cat?: string;
  args?: Record<string, unknown>;
}

const ACQUIRE = /^(spin_lock|raw_spin_lock_irqsave|mutex_lock|read_lock|write_lock)\((.+)\)$/;
const RELEASE = /^(spin_unlock|raw_spin_unlock_irqrestore|mutex_unlock|read_unlock|write_unlock)\((.+)\)$/;

export function toChromeTrace(trace: Trace): { traceEvents: TraceEvent[]; displayTimeUnit: string } {
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: `hyprace ${trace.scenario}/${trace.design} (seed ${trace.seed}, run ${trace.iteration})` } }];
  trace.actors.forEach((a, i) => events.push({ name: 'thread_name', ph: 'M', pid: 1, tid: i + 1, args: { name: a.name } }));
  const lockTid = new Map<string, number>();
  const held = new Map<string, { since: number; by: string }>();
  const lockTrack = (lock: string) => {
    if (!lockTid.has(lock)) {
      const tid = 1000 + lockTid.size;
      lockTid.set(lock, tid);
      events.push({ name: 'thread_name', ph: 'M', pid: 1, tid, args: { name: `lock ${lock}` } });
    }
    return lockTid.get(lock)!;
  };
  trace.steps.forEach((s, i) => {
    const ts = i * STEP_US;
    const who = trace.actors[s.actor].name;
    events.push({ name: s.from, cat: 'step', ph: 'X', ts, dur: STEP_US, pid: 1, tid: s.actor + 1, args: { step: i, to: s.to, where: s.where ?? '', touched: s.touched } });
    // Readers of an rwlock hold it together: track each holder on its own.
    const holdKey = (op: string, lock: string) => (op.startsWith('read') ? `${lock}\u0000${who}` : lock);
    for (const t of s.touched) {
      const acquired = ACQUIRE.exec(t);
      if (acquired && !held.has(holdKey(acquired[1], acquired[2]))) held.set(holdKey(acquired[1], acquired[2]), { since: ts, by: `${acquired[1].startsWith('read') ? 'read-' : ''}${who}` });
      const released = RELEASE.exec(t);
      const key = released && holdKey(released[1], released[2]);
      if (released && key && held.has(key)) {
        const h = held.get(key)!;
        events.push({ name: `held by ${h.by}`, cat: 'lock', ph: 'X', ts: h.since, dur: ts + STEP_US - h.since, pid: 1, tid: lockTrack(released[2]) });
        held.delete(key);
      }
    }
  });
  const end = trace.steps.length * STEP_US;
  for (const [key, h] of held) events.push({ name: `held by ${h.by}`, cat: 'lock', ph: 'X', ts: h.since, dur: end - h.since, pid: 1, tid: lockTrack(key.split('\u0000')[0]) });
  const v = trace.violation;
  if (v) {
    const actor = v.step >= 0 ? trace.steps[v.step].actor + 1 : 0;
    events.push({ name: `✗ ${v.invariant}`, cat: 'violation', ph: 'i', s: 'g', ts: Math.max(0, v.step) * STEP_US + STEP_US, pid: 1, tid: actor, args: { message: v.message } });
  }
  return { traceEvents: events, displayTimeUnit: 'ns' };
}
