// The words the invariants read, by whole layout region: a step writing one is "visible" (its
// order against other visible steps decides which states the invariants see). Invariant reads
// depend on values, so the set is learned during exploration; going by regions makes it settle
// after a few runs. When it grows, the exploration so far used too small a dependence relation
// and starts again.
import type { Region } from '../../host/layout.ts';

export class VisibleWords {
  readonly words = new Set<number>();
  private readonly seenRegions = new Set<number>();
  /** Bumped whenever the set grows. */
  version = 0;
  private readonly starts: number[];
  /** Words whose region has been looked at already (in the set or not): the common case is one load. */
  private known = new Uint8Array(0);

  constructor(private readonly regions: readonly Region[]) {
    this.starts = regions.map((r) => r.byteOffset / 4);
  }

  /** Adds the regions holding these words; true if the set grew. */
  add(words: readonly number[]): boolean {
    const before = this.version;
    for (const w of words) {
      if (w < this.known.length && this.known[w]) continue;
      if (w >= this.known.length) this.growKnown(w);
      this.known[w] = 1;
      const r = this.regionOf(w);
      if (r < 0 || this.seenRegions.has(r)) continue;
      this.seenRegions.add(r);
      const { byteOffset, byteLength } = this.regions[r];
      for (let i = byteOffset / 4; i < Math.ceil((byteOffset + byteLength) / 4); i++) this.words.add(i);
      this.version++;
    }
    return this.version !== before;
  }

  private growKnown(w: number): void {
    const k = new Uint8Array(Math.max(w + 1, this.known.length * 2, 1024));
    k.set(this.known);
    this.known = k;
  }

  /** The regions in the set, by index (to hand to another thread's copy of the world). */
  regionIndices(): number[] {
    return [...this.seenRegions].sort((a, b) => a - b);
  }

  /** Adds whole regions by index; true if the set grew. */
  addRegions(indices: readonly number[]): boolean {
    const before = this.version;
    for (const r of indices) {
      if (this.seenRegions.has(r) || !this.regions[r]) continue;
      this.add([this.regions[r].byteOffset / 4]);
    }
    return this.version !== before;
  }

  /** Names of the regions the invariants read, for reports. */
  regionNames(): string[] {
    return [...this.seenRegions].sort((a, b) => a - b).map((r) => this.regions[r].name);
  }

  private regionOf(word: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= word) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return -1;
    const r = this.regions[found];
    return word < Math.ceil((r.byteOffset + r.byteLength) / 4) ? found : -1;
  }
}
