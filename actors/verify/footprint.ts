// A step's footprint as partial-order reduction sees it: the shared words it read and wrote
// (sorted, without duplicates) and whether it wrote a word some invariant reads. Two steps are
// dependent when one writes what the other reads or writes, or when both change what the
// invariants look at (then their order decides which states the invariants see).

export interface Footprint {
  readonly reads: Int32Array;
  readonly writes: Int32Array;
  /** Writes a word the invariants read. */
  readonly visible: boolean;
}

export const EMPTY_FOOTPRINT: Footprint = { reads: new Int32Array(0), writes: new Int32Array(0), visible: false };

export function sortedUnique(words: readonly number[]): Int32Array {
  const a = Int32Array.from(words).sort();
  let n = 0;
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[i - 1]) a[n++] = a[i];
  return a.subarray(0, n);
}

export function makeFootprint(reads: readonly number[], writes: readonly number[], visibleWords: ReadonlySet<number>): Footprint {
  const w = sortedUnique(writes);
  let visible = false;
  for (let i = 0; i < w.length && !visible; i++) visible = visibleWords.has(w[i]);
  return { reads: sortedUnique(reads), writes: w, visible };
}

/** True if the two sorted arrays share an element. */
function meet(a: Int32Array, b: Int32Array): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) return true;
    if (a[i] < b[j]) i++;
    else j++;
  }
  return false;
}

export function dependent(a: Footprint, b: Footprint): boolean {
  if (a.visible && b.visible) return true;
  return meet(a.writes, b.writes) || meet(a.writes, b.reads) || meet(a.reads, b.writes);
}

function union(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length || j < b.length) {
    const v = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (n === 0 || out[n - 1] !== v) out[n++] = v;
  }
  return out.subarray(0, n);
}

/** Everything either footprint touched: the footprint of "one of these steps". */
export function joinFootprints(a: Footprint, b: Footprint): Footprint {
  if (a === EMPTY_FOOTPRINT) return b;
  if (b === EMPTY_FOOTPRINT) return a;
  return { reads: union(a.reads, b.reads), writes: union(a.writes, b.writes), visible: a.visible || b.visible };
}
