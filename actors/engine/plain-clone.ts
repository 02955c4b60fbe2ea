// What structuredClone makes of a machine's context, made faster for what contexts hold: a few
// numbers, bigints and strings, sometimes a small array or object (every trial step saves and
// restores one, under arm64 several per step). Anything else (a Map, a class instance, an array
// with holes, a shared or cyclic reference, a function) goes to structuredClone itself, so the
// result, or the error, is always structuredClone's.

const NOT_PLAIN = Symbol('not plain');

export function cloneContext<T>(v: T): T {
  // A shared or cyclic reference needs an object met twice: only possible below the top level.
  const copy = clonePlain(v, nested(v) ? new Set() : undefined);
  return copy === NOT_PLAIN ? structuredClone(v) : (copy as T);
}

/** Whether `v` holds an object (an array included). */
function nested(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'object' && x !== null) return true;
  }
  return false;
}

/** A copy of `v`, or NOT_PLAIN. `seen` (when `v` may hold a reference twice): the objects met so far. */
function clonePlain(v: unknown, seen: Set<object> | undefined): unknown {
  if (typeof v !== 'object') return typeof v === 'function' || typeof v === 'symbol' ? NOT_PLAIN : v;
  if (v === null) return v;
  if (seen) {
    if (seen.has(v)) return NOT_PLAIN;
    seen.add(v);
  }
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype || Object.keys(v).length !== v.length) return NOT_PLAIN;
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const c = clonePlain(v[i], seen);
      if (c === NOT_PLAIN) return NOT_PLAIN;
      out[i] = c;
    }
    return out;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  // for-in, not Object.keys: no array of keys allocated per clone (own keys: the same ones, in the same order).
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    if (k === '__proto__') return NOT_PLAIN;
    const c = clonePlain((v as Record<string, unknown>)[k], seen);
    if (c === NOT_PLAIN) return NOT_PLAIN;
    out[k] = c;
  }
  return out;
}
