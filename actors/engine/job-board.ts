// The words parallel inline jobs share with the thread that started them: a stop flag, each
// job's progress, and each job's heartbeat (bumped as a step starts and as it ends, with the
// actor and state it started from), which the starting thread's watchdog reads: inline runs
// have no one else to notice a guard or action that never returns.

const ABORT = 0;
const HEADER = 1;
const enum F {
  RUNS = 0,
  STEPS = 1,
  /** Even between steps, odd during one; 0 until the job's first step. */
  BEAT = 2,
  ACTOR = 3,
  STATE = 4,
}
const FIELDS = 5;

/** What a job's backend writes around each step (plain stores: the watchdog only needs to see them eventually). */
export interface Heartbeat {
  readonly a: Int32Array;
  readonly base: number;
}

export function stepStarts(h: Heartbeat, actor: number, state: number): void {
  h.a[h.base + F.ACTOR] = actor;
  h.a[h.base + F.STATE] = state;
  h.a[h.base + F.BEAT]++;
}

export function stepEnds(h: Heartbeat): void {
  h.a[h.base + F.BEAT]++;
}

export class JobBoard {
  readonly a: Int32Array;
  constructor(readonly jobs: number, readonly sab = new SharedArrayBuffer((HEADER + jobs * FIELDS) * 4)) {
    this.a = new Int32Array(sab);
  }

  heartbeat(job: number): Heartbeat {
    return { a: this.a, base: HEADER + job * FIELDS };
  }

  private at(job: number, f: F): number {
    return HEADER + job * FIELDS + f;
  }

  abort(): void {
    Atomics.store(this.a, ABORT, 1);
  }

  aborted(): boolean {
    return Atomics.load(this.a, ABORT) !== 0;
  }

  report(job: number, runs: number, steps: number): void {
    Atomics.store(this.a, this.at(job, F.RUNS), runs);
    Atomics.store(this.a, this.at(job, F.STEPS), Math.min(steps, 2 ** 31 - 1));
  }

  runs(job: number): number {
    return Atomics.load(this.a, this.at(job, F.RUNS));
  }

  steps(job: number): number {
    return Atomics.load(this.a, this.at(job, F.STEPS));
  }

  /** The job's heartbeat: how many step starts and ends so far, and the last step's actor and state. */
  beat(job: number): { beat: number; inStep: boolean; actor: number; state: number } {
    const beat = Atomics.load(this.a, this.at(job, F.BEAT));
    return { beat, inStep: (beat & 1) === 1, actor: Atomics.load(this.a, this.at(job, F.ACTOR)), state: Atomics.load(this.a, this.at(job, F.STATE)) };
  }
}
