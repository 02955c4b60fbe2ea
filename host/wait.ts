// A state that cannot proceed until something in shared memory changes says so with a Wait.
// The scheduler asks `ready()` before it grants the actor a step, so blocking is explicit and
// deadlock (nobody ready, not everyone done) is visible.

/** What a blocking state waits for: the scheduler runs the actor only when `ready()` holds. A Wait only reads shared memory. */
export interface Wait {
  /** What the actor waits for, in the kernel's words: "kvm_vmid_lock", "IPI acks". */
  readonly what: string;
  ready(): boolean;
  /** For lock waits: the actor holding the lock (-1 if none), to name who blocks whom. */
  holder?(): number;
}

/** A Wait named `what` (in the kernel's words) that is ready when `ready()` holds. */
export function waitUntil(what: string, ready: () => boolean): Wait {
  return { what, ready };
}
