// Growing the Int32Arrays the memory of solo runs packs its data into.

/** `a` if it holds `length` ints, else a new array of at least `length` (twice `a`'s, at least) starting with `a`'s first `keep`. */
export function grown<A extends Int32Array>(a: A, length: number, keep = a.length): A | Int32Array<ArrayBuffer> {
  if (a.length >= length) return a;
  const b = new Int32Array(Math.max(2 * a.length, length));
  b.set(a.subarray(0, keep));
  return b;
}
