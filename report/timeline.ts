// The swim-lane timeline a person reads in a terminal: one column per CPU (or per actor when
// actors say nothing of where they run), one row per step naming the label whose code the step
// ran, and the step where the invariant broke.
import type { Trace, TraceStep } from '../actors/trace/index.ts';

export interface TimelineOptions {
  /** Show only the last `tail` steps (all if omitted). */
  tail?: number;
  /** Width of the whole timeline in characters (lanes share it); 120 if omitted. */
  columns?: number;
  /** Print what each step touched under it. */
  touches?: boolean;
}

export function laneOf(trace: Trace, s: TraceStep): string {
  return s.where ?? trace.actors[s.actor].name;
}

export function renderTimeline(trace: Trace, o: TimelineOptions = {}): string {
  const lanes = orderLanes([...new Set(trace.steps.map((s) => laneOf(trace, s)))]);
  const first = o.tail ? Math.max(0, trace.steps.length - o.tail) : 0;
  const num = String(trace.steps.length).length;
  const width = Math.max(16, Math.min(34, Math.floor(((o.columns ?? 120) - num - 2) / Math.max(1, lanes.length))));
  const pad = (s: string) => (s.length > width - 1 ? s.slice(0, width - 2) + '…' : s).padEnd(width);
  const lines: string[] = [];
  lines.push((' '.repeat(num + 2) + lanes.map(pad).join('')).trimEnd());
  lines.push((' '.repeat(num + 2) + lanes.map(() => pad('─'.repeat(width - 2))).join('')).trimEnd());
  if (first > 0) lines.push(`${' '.repeat(num + 2)}… ${first} earlier steps`);
  const v = trace.violation;
  for (let i = first; i < trace.steps.length; i++) {
    const s = trace.steps[i];
    const lane = laneOf(trace, s);
    const cell = `${trace.actors[s.actor].name} ${s.from}`;
    const row = lanes.map((l) => pad(l === lane ? cell : '│')).join('');
    lines.push(`${String(i).padStart(num)}  ${row}`.trimEnd());
    if (o.touches) for (const t of s.touched) lines.push(`${' '.repeat(num + 2)}${' '.repeat(lanes.indexOf(lane) * width)}  · ${t}`);
    if (v && v.step === i) lines.push(`${' '.repeat(num + 2)}✗ ${v.invariant}: ${v.message}`);
  }
  if (v && v.step < 0) lines.push(`✗ ${v.invariant} before any step: ${v.message}`);
  return lines.join('\n');
}

/** Processors in order (lanes named like CPU1 or hart1, by name then number), then everything else (VMM, actors) in order. */
export function orderLanes(lanes: string[]): string[] {
  const cpu = (l: string) => /^([A-Za-z]+)(\d+)$/.exec(l);
  return lanes.sort((a, b) => {
    const ca = cpu(a);
    const cb = cpu(b);
    if (ca && cb) return ca[1] !== cb[1] ? ca[1].localeCompare(cb[1]) : Number(ca[2]) - Number(cb[2]);
    if (ca) return -1;
    if (cb) return 1;
    return a.localeCompare(b);
  });
}
