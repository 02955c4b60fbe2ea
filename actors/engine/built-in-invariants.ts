// The invariants hyprace itself checks, and those its host code raises whichever scenario uses
// it: a scenario's raised names and `--invariant` filters are checked against these and the
// scenario's declared ones.
import { NO_CROSS_VM_TLB_HIT } from '../../host/guest-memory.ts';
import { LOCK_DISCIPLINE } from '../../host/locks.ts';
import { SLOTS_LOCK_HELD } from '../../host/spe/stage2-ops.ts';
import { REFCOUNT_BALANCE } from '../../host/stage2/pool.ts';

/** The built-in invariant broken when nobody can run while an actor is unfinished, or only daemons can, for long. */
export const DEADLOCK = 'deadlock';
/** Steps in which only daemons run while every unfinished non-daemon actor waits: then, a deadlock. */
export const DAEMON_ONLY_STEPS = 100;
/** ...provided every daemon still able to run took at least this many of them (its fair chance to free the others). */
export const DAEMON_FAIR_STEPS = 8;

/** The invariants hyprace checks or its host code raises for any scenario that uses it, with what each means. */
export const BUILT_IN_INVARIANTS: readonly { name: string; description: string }[] = [
  { name: DEADLOCK, description: 'an unfinished actor can always take a step: never nobody, nor only daemons for long (checked for every design)' },
  { name: LOCK_DISCIPLINE, description: 'no lock is taken twice by its holder or released by anyone but its holder (raised by the locks)' },
  { name: REFCOUNT_BALANCE, description: 'no put_page() takes a count below zero and no table is freed twice (raised by the stage-2 table pool)' },
  { name: SLOTS_LOCK_HELD, description: 'memslot-level stage-2 changes hold kvm->slots_lock (raised by the SPE stage-2 operations)' },
  { name: NO_CROSS_VM_TLB_HIT, description: "no guest access hits another VM's TLB entry (raised by the guest memory access path)" },
];

/** Every invariant name a run of a scenario may report: its declared ones and the built-in ones. */
export function knownInvariants(declared: readonly { name: string }[]): string[] {
  return [...new Set([...declared.map((i) => i.name), ...BUILT_IN_INVARIANTS.map((i) => i.name)])];
}
