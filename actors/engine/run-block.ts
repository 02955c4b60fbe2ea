// What a threads-mode run carries from one thread to the next with the turn: the run's
// position and outcome, the scheduler's and step seeds' generator state, the invariant filter,
// blocked-step counts, and the log of steps taken. One SharedArrayBuffer apart from the
// scenario's (its size depends on the step bound, which the scenario's layout does not know);
// only the thread holding the turn writes it, and the turn passes through Atomics, which orders
// the plain reads and writes around it.

/** Header words. */
export const RUN = 0; // run generation: a worker that sees a new one starts its actor afresh
export const TURN = 1; // the actor holding the turn, -1 for the main thread
export const DONE = 2; // 1 once the run has ended and the turn is back with the main thread
export const STEP = 3; // steps taken so far in this run
export const STEP_LIMIT = 4;
export const END = 5; // EndCode
export const VIOLATION_STEP = 6;
export const NEXT_SEED = 7; // the seed of the step the turn holder is to take
export const STEPS_RNG = 8; // state of the step-seed generator
export const ONLY_VERSION = 9; // bumped whenever the invariant filter changes
export const STRATEGY = 10; // index in STRATEGIES
export const DEPTH = 11;
export const FAILURE_ACTOR = 12;
export const BLOCKED_KINDS = 13; // entries in the blocked order list this run
export const NAMES = 14; // interned names
export const NAME_BYTES = 15;
export const DAEMONS_ONLY_SINCE = 16; // the step from which only daemons could run (-1: a non-daemon can)
export const STALL = 17; // run.ts's daemonOnlySteps
const HEADER = 32;

export const enum EndCode {
  Running = 0,
  Done = 1,
  StepLimit = 2,
  Violation = 3,
  Stuck = 4,
  /** A step, an invariant or the engine threw; the message is in the text area. */
  ActorThrew = 5,
  InvariantThrew = 6,
  EngineThrew = 7,
  /** A step called process.exit(). */
  ActorExited = 8,
}

/** Words of scheduler state (PCT needs 2 + actors + 2 * depth). */
export const SCHEDULER_WORDS = 4096;
export const MAX_NAMES = 4096;
/** Actors a run block has per-actor words for. */
export const MAX_ACTORS = 1024;
const NAME_TEXT = 256 * 1024;
const ONLY_TEXT = 64 * 1024;
const RESULT_TEXT = 64 * 1024;
/** Words per logged step: actor, seed, from, to, transition, where (a name, -1 for none). */
export const LOG_WORDS = 6;

export class RunBlock {
  readonly w: Int32Array;
  readonly schedulerAt = HEADER;
  /** Per interned wait name: steps during which some actor waited for it, this run. */
  readonly blockedAt = HEADER + SCHEDULER_WORDS;
  /** Names whose count went from 0 to 1 this run, in that order (run.ts's key order). */
  readonly blockedOrderAt = this.blockedAt + MAX_NAMES;
  /** Byte offset of each interned name's text, and one past the last. */
  readonly nameOffsetsAt = this.blockedOrderAt + MAX_NAMES;
  /** Per actor: the last step it took this run (-1: none). */
  readonly lastStepAt = this.nameOffsetsAt + MAX_NAMES + 1;
  /** Per actor: steps it took since only daemons could run. */
  readonly stepsSinceAt = this.lastStepAt + MAX_ACTORS;
  readonly logAt = this.stepsSinceAt + MAX_ACTORS;
  private readonly bytes: Uint8Array;
  private readonly nameTextAt: number;
  private readonly onlyTextAt: number;
  private readonly resultTextAt: number;

  /** A block for runs of up to `capacity` steps, or a view of an existing one. */
  constructor(readonly capacity: number, existing?: SharedArrayBuffer) {
    const words = this.logAt + capacity * LOG_WORDS;
    const textAt = words * 4;
    const sab = existing ?? new SharedArrayBuffer(textAt + NAME_TEXT + ONLY_TEXT + RESULT_TEXT);
    this.w = new Int32Array(sab, 0, words);
    this.bytes = new Uint8Array(sab);
    this.nameTextAt = textAt;
    this.onlyTextAt = textAt + NAME_TEXT;
    this.resultTextAt = this.onlyTextAt + ONLY_TEXT;
    if (!existing) this.w[TURN] = -1;
  }

  /** Everything but the log, from a smaller block (when the block grows). */
  copyFrom(old: RunBlock): void {
    this.w.set(old.w.subarray(0, this.logAt));
    this.bytes.set(old.bytes.subarray(old.nameTextAt, old.nameTextAt + NAME_TEXT + ONLY_TEXT + RESULT_TEXT), this.nameTextAt);
  }

  get sab(): SharedArrayBuffer {
    return this.w.buffer as SharedArrayBuffer;
  }

  setOnly(names: readonly string[] | undefined): void {
    this.writeText(this.onlyTextAt, ONLY_TEXT, names === undefined ? 'null' : JSON.stringify(names), 'the invariant filter');
    this.w[ONLY_VERSION]++;
  }

  only(): ReadonlySet<string> | undefined {
    const names = JSON.parse(this.readText(this.onlyTextAt)) as string[] | null;
    return names ? new Set(names) : undefined;
  }

  /** The run's violation ({invariant, message}) or failure message. */
  setResult(text: string): void {
    this.writeText(this.resultTextAt, RESULT_TEXT, text, 'a result');
  }

  result(): string {
    return this.readText(this.resultTextAt);
  }

  /** Appends a name (the caller checked it is new); returns its index. */
  addName(name: string): number {
    const i = this.w[NAMES];
    const at = this.w[NAME_BYTES];
    const bytes = new TextEncoder().encode(name);
    if (i >= MAX_NAMES || at + bytes.length > NAME_TEXT) throw new Error(`more than ${MAX_NAMES} distinct wait and lane names in one design`);
    this.bytes.set(bytes, this.nameTextAt + at);
    this.w[this.nameOffsetsAt + i] = at;
    this.w[this.nameOffsetsAt + i + 1] = at + bytes.length;
    this.w[NAME_BYTES] = at + bytes.length;
    this.w[NAMES] = i + 1;
    return i;
  }

  name(i: number): string {
    const from = this.w[this.nameOffsetsAt + i];
    const to = this.w[this.nameOffsetsAt + i + 1];
    // Copy out of shared memory: TextDecoder does not read SharedArrayBuffer views.
    return new TextDecoder().decode(this.bytes.slice(this.nameTextAt + from, this.nameTextAt + to));
  }

  private writeText(at: number, room: number, text: string, what: string): void {
    const bytes = new TextEncoder().encode(text);
    if (bytes.length + 4 > room) throw new Error(`${what} does not fit the run block (${bytes.length} bytes)`);
    new DataView(this.bytes.buffer).setUint32(at, bytes.length, true);
    this.bytes.set(bytes, at + 4);
  }

  private readText(at: number): string {
    const n = new DataView(this.bytes.buffer).getUint32(at, true);
    return new TextDecoder().decode(this.bytes.slice(at + 4, at + 4 + n));
  }
}

/** Interns names (wait reasons, timeline lanes) into a block: this thread's cache of its table. */
export class NameTable {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  constructor(private readonly block: RunBlock) {}

  id(name: string): number {
    const id = this.ids.get(name);
    if (id !== undefined) return id;
    // Another thread may have added it: catch up with the shared table first.
    this.catchUp();
    const again = this.ids.get(name);
    if (again !== undefined) return again;
    const added = this.block.addName(name);
    this.ids.set(name, added);
    this.names.push(name);
    return added;
  }

  name(id: number): string {
    if (id >= this.names.length) this.catchUp();
    return this.names[id];
  }

  private catchUp(): void {
    for (let i = this.names.length, total = this.block.w[NAMES]; i < total; i++) {
      const name = this.block.name(i);
      this.names.push(name);
      this.ids.set(name, i);
    }
  }
}
