// The locks of a world's host, found by walking the host object the scenario built: every
// thread builds the same host, so every thread finds the same locks in the same order.
export type LockKind = 'spinlock' | 'mutex' | 'rwlock' | 'busted';

export interface FoundLock {
  name: string;
  kind: LockKind;
}

export function findLocks(host: unknown): FoundLock[] {
  const out: FoundLock[] = [];
  const seen = new Set<unknown>();
  const visit = (v: unknown, depth: number) => {
    if (!v || typeof v !== 'object' || seen.has(v) || depth > 4 || ArrayBuffer.isView(v)) return;
    seen.add(v);
    const kind = kindOf(v as Record<string, unknown>);
    if (kind) {
      const name = (v as { name: string }).name;
      if (!out.some((l) => l.name === name)) out.push({ name, kind });
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(v)) visit(x, depth + 1);
  };
  visit(host, 0);
  return out;
}

// By shape, not instanceof: a scenario loaded by URL and the engine may hold two instances of
// host/locks.ts (a test runner that requires the engine but imports the scenario).
function kindOf(v: Record<string, unknown>): LockKind | undefined {
  if (typeof v.name !== 'string' || typeof v.waitFor !== 'function') return undefined;
  if (typeof v.write_lock === 'function' && typeof v.read_lock === 'function') return 'rwlock';
  if (typeof v.test === 'function' && typeof v.set === 'function' && typeof v.unlock === 'function') return 'busted';
  if (typeof v.lock === 'function' && typeof v.unlock === 'function') return v.constructor?.name === 'Mutex' ? 'mutex' : 'spinlock';
  return undefined;
}

/** The lock a wait is for: "kvm_vmid_lock (read)" is kvm_vmid_lock, for reading. */
export function lockOfWait(what: string, index: ReadonlyMap<string, number>): { lock: number; read: boolean } | undefined {
  const m = /^(.*) \((read|write)\)$/.exec(what);
  const lock = index.get(m ? m[1] : what);
  return lock === undefined ? undefined : { lock, read: m?.[2] === 'read' };
}
