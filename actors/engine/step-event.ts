// The one event every machine receives: STEP. It carries the step's own random source, so
// actions and guards can make choices that replay exactly. The source is either a seed (sampling
// strategies draw every value from it) or a script of explicit values (verify explores every
// value of every draw, and its traces record the values instead of a seed).
import { Rng } from './rng.ts';

/** A draw a script cannot answer: more values than verify explores, or a value out of range. */
export class ChoiceError extends Error {}

/** The values a scripted step drew, and how many values each draw had to choose from. */
export interface ChoiceLog {
  values: number[];
  arities: number[];
}

/** verify refuses draws with more values than this: name the choice so the scenario can narrow it. */
export const MAX_CHOICE_VALUES = 64;

/** The STEP event every step of every machine receives: it carries the step's random source (`random(n)`, `chance(p)`), seeded or scripted, so every choice replays. */
export class StepEvent {
  readonly type = 'STEP' as const;
  private readonly rng = new Rng(0);
  seed = 0;
  private script: readonly number[] | undefined;
  private log: ChoiceLog = { values: [], arities: [] };
  /** Draws of the current seeded step whose outcome is not what a script's default value (0) gives. */
  private offDefault = 0;

  reseed(seed: number): this {
    this.seed = seed >>> 0;
    this.rng.reseed(seed);
    this.script = undefined;
    this.offDefault = 0;
    return this;
  }

  /**
   * Whether the last step drew exactly what a script of default values draws (each draw's value
   * 0): the two steps are then the same step (arm64 sampling reuses a promise's certificate).
   */
  drewDefaults(): boolean {
    return this.script === undefined ? this.offDefault === 0 : this.log.values.every((v) => v === 0);
  }

  /** Scripted: the i-th draw returns choices[i] (0 past the end); every draw is logged. */
  scripted(choices: readonly number[]): this {
    this.seed = 0;
    this.script = choices;
    this.log = { values: [], arities: [] };
    return this;
  }

  /** What the last scripted step drew. */
  drawn(): ChoiceLog {
    return this.log;
  }

  /** Uniform integer in [0, n). */
  random(n: number): number {
    if (!this.script) {
      const v = this.rng.below(n);
      if (v !== 0) this.offDefault++;
      return v;
    }
    if (!(n >= 1)) return 0;
    return this.draw(Math.floor(n), 'random', n);
  }

  /**
   * One of several outcomes, outcome i with probability weights[i] / sum: the index drawn. For
   * verify, one branch per outcome of non-zero weight (however the weights are split).
   */
  pick(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    if (!this.script) {
      const r = this.rng.below(total);
      let acc = 0;
      let chosen = weights.length - 1;
      for (let i = 0; i < weights.length; i++) {
        if (r < (acc += weights[i])) {
          chosen = i;
          break;
        }
      }
      // A script's default is the first outcome of non-zero weight.
      if (chosen !== weights.findIndex((w) => w > 0)) this.offDefault++;
      return chosen;
    }
    const live = weights.flatMap((w, i) => (w > 0 ? [i] : []));
    return live[live.length > 1 ? this.draw(live.length, 'pick', weights) : 0] ?? 0;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    if (!this.script) {
      const c = this.rng.chance(p);
      if (c && p < 1) this.offDefault++;
      return c;
    }
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.draw(2, 'chance', p) === 1;
  }

  /** The next scripted value of a draw among `arity`; `call` and `arg` name the draw in an error (built only then: solo runs draw often). */
  private draw(arity: number, call: string, arg: number | readonly number[]): number {
    if (arity === 1) return 0;
    if (arity > MAX_CHOICE_VALUES) {
      throw new ChoiceError(`${described(call, arg)} draws from ${arity} values; verify explores every value of every draw and allows at most ${MAX_CHOICE_VALUES}: narrow the option behind it (--set) or draw fewer values`);
    }
    const i = this.log.values.length;
    const v = this.script![i] ?? 0;
    if (v >= arity) throw new ChoiceError(`draw ${i} of the step, ${described(call, arg)}, was scripted the value ${v}, out of range: the step drew differently than when it was recorded`);
    this.log.values.push(v);
    this.log.arities.push(arity);
    return v;
  }
}

export type Step = StepEvent;

/** A draw as the scenario wrote it: random(8), pick([1, 0, 3]), chance(0.5). */
function described(call: string, arg: number | readonly number[]): string {
  return typeof arg === 'number' ? `${call}(${arg})` : `${call}([${arg.join(', ')}])`;
}
