// What a free-running stress run leaves when it sees a violation: the steps each actor recorded,
// merged by the global sequence numbers they took. The OS chose that interleaving and the
// actors' seeds alone do not fix it, so the file is marked as not replayable: it is evidence,
// and `hyprace explore` is how to find the same violation under control.
import { createHash } from 'node:crypto';
import { writeAtomically } from '../trace/index.ts';
import { join } from 'node:path';
import { TOOL_VERSION } from '../trace/index.ts';
import type { RingEntry } from './stress-control.ts';
import type { StressViolation } from './stress.ts';
import type { World } from '../engine/index.ts';

export const FREE_TRACE_FORMAT = 'hyprace-free-trace';

export interface FreeTraceMeta {
  scenario: string;
  design: string;
  options: Record<string, unknown>;
  seed: number;
  explore: string;
}

export function writeFreeTrace(dir: string, world: World, violation: StressViolation, ordering: RingEntry[], meta: FreeTraceMeta): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const name = (i: number) => world.actors[i].name;
  const state = (a: number, s: number) => world.programs[a].stateIds[s] ?? `#${s}`;
  const trace = {
    format: FREE_TRACE_FORMAT,
    version: 1,
    tool: TOOL_VERSION,
    replayable: false,
    why: 'free mode: the operating system interleaved the actors; the order below is what they recorded (global sequence numbers taken at the start and end of each step), not a schedule',
    ...meta,
    mode: 'free',
    violation,
    actors: world.actors.map((a, i) => ({ name: a.name, daemon: world.daemon[i], states: world.programs[i].stateIds })),
    steps: ordering.map((e) => ({ seq: [e.startSeq, e.endSeq], actor: name(e.actor), from: state(e.actor, e.from), to: state(e.actor, e.to), transition: e.transition })),
  };
  const text = JSON.stringify(trace, null, 1) + '\n';
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  return writeAtomically(join(dir, `${meta.scenario}-${meta.design}-stress-${stamp}-${hash}.free-trace.json`), text);
}
