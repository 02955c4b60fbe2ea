// Replays a recorded schedule: the same actor at every step. If the recorded actor cannot run,
// the run has diverged from the recording, which is reported, never papered over.
import { actorName } from '../../../host/execution.ts';
import { ReplayDivergence, type RunStart, type Scheduler } from './scheduler.ts';

export class ReplayScheduler implements Scheduler {
  readonly name = 'replay';
  constructor(private readonly actors: readonly number[]) {}

  beginRun(_run: RunStart): void {}

  pick(enabled: readonly number[], step: number): number {
    const want = this.actors[step];
    if (want === undefined) throw new ReplayDivergence(`the recording has ${this.actors.length} steps but the run continues past it`);
    if (!enabled.includes(want)) {
      throw new ReplayDivergence(`step ${step}: the recording runs ${actorName(want)}, which cannot run now (runnable: ${enabled.map(actorName).join(', ') || 'nobody'})`);
    }
    return want;
  }
}
