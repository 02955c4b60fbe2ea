// The locks of a world's host, found by walking the host object the scenario built: every
// thread builds the same host, so every thread finds the same locks in the same order.
import { BustedLock } from '../host/lock-busted.ts';
import { Mutex, RwLock, Spinlock } from '../host/locks.ts';

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
    const kind: LockKind | undefined = v instanceof Spinlock ? 'spinlock' : v instanceof Mutex ? 'mutex' : v instanceof RwLock ? 'rwlock' : v instanceof BustedLock ? 'busted' : undefined;
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

/** The lock a wait is for: "kvm_vmid_lock (read)" is kvm_vmid_lock, for reading. */
export function lockOfWait(what: string, index: ReadonlyMap<string, number>): { lock: number; read: boolean } | undefined {
  const m = /^(.*) \((read|write)\)$/.exec(what);
  const lock = index.get(m ? m[1] : what);
  return lock === undefined ? undefined : { lock, read: m?.[2] === 'read' };
}
