// Which values one step's random draws take, explored depth first: every value of every draw.
// A draw's range may depend on earlier draws of the same step, so ranges are learned by running
// the step: the script is a prefix, draws past it take 0, and the next variant raises the last
// draw that has a value left and forgets the draws after it.
import type { ChoiceLog } from '../engine/index.ts';

export class ChoiceCursor {
  /** The values to script for the step's next execution. */
  private script: number[] = [];
  /** What the step drew when it last ran: its full values and ranges. */
  private last: ChoiceLog = { values: [], arities: [] };

  /** The script for the next run of this step. */
  get choices(): readonly number[] {
    return this.script;
  }

  /** The values the step drew when it last ran (a re-executed prefix scripts exactly these). */
  get drawn(): readonly number[] {
    return this.last.values;
  }

  /** Records what the step drew when it ran with `choices`. */
  ran(log: ChoiceLog): void {
    this.last = { values: [...log.values], arities: [...log.arities] };
    this.script = this.last.values;
  }

  /** Moves to the next combination of values; false when every combination has run. */
  next(): boolean {
    const { values, arities } = this.last;
    for (let j = values.length - 1; j >= 0; j--) {
      if (values[j] + 1 < arities[j]) {
        this.script = [...values.slice(0, j), values[j] + 1];
        this.last = { values: this.script, arities: arities.slice(0, j + 1) };
        return true;
      }
    }
    return false;
  }
}
