// Violations noticed inside a step (a lock released by a non-owner, a guest hitting another
// VM's TLB entry) are written into shared memory, so the scheduling thread sees them right
// after the step whichever thread ran it. The first one wins; the run stops there.
import type { Layout } from './layout.ts';
import { threadGlobal } from './thread-global.ts';

const TEXT_BYTES = 4096;

export interface RaisedViolation {
  invariant: string;
  message: string;
}

export class ViolationBox {
  private flag!: Int32Array;
  private flagIndex = 0;
  private text!: Uint8Array;

  constructor(layout: Layout) {
    const flagRegion = layout.reserve('violation.flag', 8, (m) => {
      this.flag = m.i32;
      this.flagIndex = flagRegion.byteOffset / 4;
    });
    const textRegion = layout.reserve('violation.text', TEXT_BYTES, (m) => {
      this.text = m.u8.subarray(textRegion.byteOffset, textRegion.byteOffset + TEXT_BYTES);
    });
  }

  raise(invariant: string, message: string): void {
    if (Atomics.compareExchange(this.flag, this.flagIndex, 0, 1) !== 0) return;
    const bytes = new TextEncoder().encode(JSON.stringify({ invariant, message }));
    const n = Math.min(bytes.length, TEXT_BYTES);
    this.text.set(bytes.subarray(0, n));
    Atomics.store(this.flag, this.flagIndex + 1, n);
    Atomics.store(this.flag, this.flagIndex, 2);
  }

  /** The raised violation, if any (complete once the raising step has finished). */
  peek(): RaisedViolation | undefined {
    if (Atomics.load(this.flag, this.flagIndex) !== 2) return undefined;
    const n = Atomics.load(this.flag, this.flagIndex + 1);
    // Copy out of shared memory: TextDecoder does not read SharedArrayBuffer views.
    const json = new TextDecoder().decode(this.text.slice(0, n));
    try {
      return JSON.parse(json) as RaisedViolation;
    } catch {
      return { invariant: 'unknown', message: json };
    }
  }

  clear(): void {
    Atomics.store(this.flag, this.flagIndex, 0);
    Atomics.store(this.flag, this.flagIndex + 1, 0);
  }
}

/** The box of this thread's world; set when the world is built (one per thread, see thread-global.ts). */
const active = threadGlobal('violation-box', () => ({ box: undefined as ViolationBox | undefined }));

export function setViolationBox(box: ViolationBox | undefined): void {
  active.box = box;
}

/** Called by host code that sees an invariant break in the middle of a step. */
export function raiseViolation(invariant: string, message: string): void {
  if (!active.box) throw new Error(`violation of ${invariant} outside a run: ${message}`);
  active.box.raise(invariant, message);
}
