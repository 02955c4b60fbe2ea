// Per-CPU TLBs, any architecture: entries keyed by (tag, address space, page), the tag's meaning
// (a VMID, an ASID) and every other word in messages given by the scenario. Each entry also
// carries ghost state the hardware does not have: whose tables produced it (so that a hit by
// another VM under the same tag is visible) and a word free for the model.
import type { Layout } from './layout.ts';
import type { PhysCpus } from './cpu.ts';
import { count32, ld32, st32 } from './access.ts';
import { execution } from './execution.ts';
import { memoryModel } from './memory-model/active.ts';
import { note } from './recorder.ts';

const VALID = 0;
const TAG = 1;
const SPACE = 2;
const PAGE = 3; // page number in the address space (4 KiB units)
const SHIFT = 4; // pages covered: 0 = 4 KiB page, 9 = 2 MiB block, 18 = 1 GiB block
const OUT = 5; // output page number
const PERMS = 6;
const OWNER = 7; // ghost: whose translation tables produced the entry
const GHOST = 8; // ghost: free for the model (e.g. the table page the walk went through)
const FIELDS = 9;

/** One translation a TLB holds. */
export interface TlbEntry {
  /** The hardware tag the entry is looked up under: a VMID, an ASID. */
  tag: number;
  /** The address space within the tag, when entries have several (stage 1 and stage 2, say); default 0. */
  space?: number;
  /** Page number (4 KiB units) of the translated address. */
  page: number;
  /** Pages the entry covers, as a shift: 0 a 4 KiB page, 9 a 2 MiB block, 18 a 1 GiB block. */
  shift: number;
  /** Output page number. */
  out: number;
  /** Permission bits, as the model defines them. */
  perms: number;
  /** Ghost: whose tables produced the entry (a VM, a task). */
  owner: number;
  /** Ghost: free for the model; 0 if unused. */
  ghost: number;
}

/** The scenario's words for what the TLB holds, used in every message. */
export interface TlbWords {
  /** What the tag is: 'VMID' on a stage-2 TLB, 'ASID'. */
  tag: string;
  /** What is translated: 'IPA' (arm64 stage 2), 'GPA' (RISC-V G-stage), 'VA'. */
  address: string;
  /** Whose tables an entry came from: 'VM', 'task'. */
  owner: string;
  /** What the address space is, when there are several (default 'space'). */
  space?: string;
}

/** Which entries an invalidation removes: all, a tag's, or a tag's covering some pages (in one space, if given). */
export type TlbScope = 'all' | { tag: number; space?: number; pages?: readonly [first: number, count: number] };

/** Where an invalidation acts: 'broadcast' on every CPU (TLBI ...IS, a remote fence to all), or on one CPU only (a local TLBI, HFENCE). */
export type TlbReach = 'broadcast' | number;

/** Statistics bumped for figures; no step reads them. */
export interface TlbCounters {
  fills: number;
  hits: number;
  /** Broadcast invalidations of everything, of one tag, of a tag's pages. */
  flushAll: number;
  flushTag: number;
  flushPages: number;
  /** Invalidations on one CPU, of any scope. */
  flushLocal: number;
}

const C_FILLS = 0;
const C_HITS = 1;
const C_ALL = 2;
const C_TAG = 3;
const C_PAGES = 4;
const C_LOCAL = 5;

// Under the arm64 memory model a TLBI is only issued by its instruction: it completes at the
// issuing actor's next dsb(ish) (ARM ARM D8.13, "TLB maintenance instructions": completion is
// guaranteed only by a DSB after it), and until then every TLB may still hold and use the entries
// it covers. It is modelled as taking effect at its completion (one of the executions the
// architecture allows). Pending TLBIs, in issue order: who issued it and what it covers.
const P_USED = 0;
const P_ISSUER = 1;
const P_KIND = 2; // 0 all, 1 a tag's, 2 a tag's pages
const P_TAG = 3;
const P_SPACE = 4; // space + 1; 0: every space
const P_FIRST = 5;
const P_COUNT = 6;
const P_ON = 7; // -1 broadcast, else the one CPU
const P_FIELDS = 8;
/** TLBIs kept pending at once; one more completes the oldest at once (it may complete any time before its DSB). */
export const PENDING_TLBIS = 8;

/** The TLB of every CPU, `entriesPerCpu` entries each, filled round-robin once full. */
export class Tlbs {
  private a: Int32Array = new Int32Array(0);
  private base = 0;
  private ctr: Int32Array = new Int32Array(0);
  private ctrBase = 0;
  /** How many CPUs have a TLB. */
  readonly cpus: number;

  constructor(layout: Layout, private readonly phys: PhysCpus, readonly entriesPerCpu: number, readonly words: TlbWords) {
    this.cpus = phys.count;
    const region = layout.reserve('tlb', this.cpus * (entriesPerCpu * FIELDS + 1) * 4, (m) => {
      this.a = m.i32;
      this.base = region.byteOffset / 4;
    });
    const counters = layout.reserve('tlb.counters', 6 * 4, (m) => {
      this.ctr = m.i32;
      this.ctrBase = counters.byteOffset / 4;
    });
    const pending = layout.reserve('tlb.pending TLBIs', PENDING_TLBIS * P_FIELDS * 4, (m) => {
      this.p = m.i32;
      this.pBase = pending.byteOffset / 4;
    });
    layout.onDsb((actor) => this.completeTlbis(actor));
  }
  private p: Int32Array = new Int32Array(0);
  private pBase = 0;

  private slot(cpu: number, e: number): number {
    return this.base + cpu * (this.entriesPerCpu * FIELDS + 1) + 1 + e * FIELDS;
  }

  private victimIndex(cpu: number): number {
    return this.base + cpu * (this.entriesPerCpu * FIELDS + 1);
  }

  private count(which: number): void {
    count32(this.ctr, this.ctrBase + which);
  }

  /** The entry of `cpu` translating `page` of `space` under `tag`, or -1. */
  lookup(cpu: number, tag: number, page: number, space = 0): number {
    for (let e = 0; e < this.entriesPerCpu; e++) {
      const s = this.slot(cpu, e);
      if (ld32(this.a, s + VALID) === 0 || ld32(this.a, s + TAG) !== tag || ld32(this.a, s + SPACE) !== space) continue;
      const shift = ld32(this.a, s + SHIFT);
      if (ld32(this.a, s + PAGE) >>> shift === page >>> shift) {
        this.count(C_HITS);
        return e;
      }
    }
    return -1;
  }

  /** Entry `e` of `cpu` (valid or not). */
  entry(cpu: number, e: number): TlbEntry {
    const s = this.slot(cpu, e);
    return {
      tag: ld32(this.a, s + TAG),
      space: ld32(this.a, s + SPACE),
      page: ld32(this.a, s + PAGE),
      shift: ld32(this.a, s + SHIFT),
      out: ld32(this.a, s + OUT),
      perms: ld32(this.a, s + PERMS),
      owner: ld32(this.a, s + OWNER),
      ghost: ld32(this.a, s + GHOST),
    };
  }

  /** Whether entry `e` of `cpu` is valid. */
  isValid(cpu: number, e: number): boolean {
    return ld32(this.a, this.slot(cpu, e) + VALID) !== 0;
  }

  /** Inserts a translation into `cpu`'s TLB, evicting round-robin when it is full; `how` names it in the touches ("fill", "speculative fill"). */
  fill(cpu: number, t: TlbEntry, how = 'fill'): void {
    let e = -1;
    for (let i = 0; i < this.entriesPerCpu; i++) {
      if (ld32(this.a, this.slot(cpu, i) + VALID) === 0) {
        e = i;
        break;
      }
    }
    if (e < 0) {
      const v = this.victimIndex(cpu);
      e = ld32(this.a, v) % this.entriesPerCpu;
      st32(this.a, v, (e + 1) % this.entriesPerCpu);
    }
    const s = this.slot(cpu, e);
    st32(this.a, s + TAG, t.tag);
    st32(this.a, s + SPACE, t.space ?? 0);
    st32(this.a, s + PAGE, t.page);
    st32(this.a, s + SHIFT, t.shift);
    st32(this.a, s + OUT, t.out);
    st32(this.a, s + PERMS, t.perms);
    st32(this.a, s + OWNER, t.owner);
    st32(this.a, s + GHOST, t.ghost);
    st32(this.a, s + VALID, 1);
    this.count(C_FILLS);
    note(`${this.phys.name(cpu)} TLB ${how}: ${this.key(t.tag, t.space)} ${this.words.address} page ${t.page} (${this.words.owner} ${t.owner})`);
  }

  /**
   * Invalidates the entries in `scope` on every CPU ('broadcast') or on one; `label` names the
   * operation in the scenario's words ("TLBI VMALLS12E1IS", "HFENCE.GVMA"). Returns how many
   * entries it removed. Under arm64, in an actor's step, it is only issued (returns 0): it takes
   * effect when it completes, at that actor's next dsb(ish).
   */
  invalidate(scope: TlbScope, on: TlbReach, label: string): number {
    if (memoryModel.arm64 && execution.actor >= 0) {
      this.issue(execution.actor, scope, on);
      note(`${this.describe(scope, label)}${on === 'broadcast' ? '' : ` on ${this.phys.name(on)}`}: issued, incomplete until this thread's dsb(ish)`);
      return 0;
    }
    return this.apply(scope, on, label);
  }

  /** Removes the entries `scope` covers on the CPUs it reaches, now. */
  private apply(scope: TlbScope, on: TlbReach, label: string): number {
    const cpus = on === 'broadcast' ? Array.from({ length: this.cpus }, (_, c) => c) : [on];
    let match: (s: number) => boolean;
    if (scope === 'all') {
      match = () => true;
    } else {
      const { tag, space, pages } = scope;
      const inTag = (s: number) => ld32(this.a, s + TAG) === tag && (space === undefined || ld32(this.a, s + SPACE) === space);
      if (!pages) {
        match = inTag;
      } else {
        const [first, count] = pages;
        const end = first + count;
        match = (s) => {
          if (!inTag(s)) return false;
          const shift = ld32(this.a, s + SHIFT);
          const start = (ld32(this.a, s + PAGE) >>> shift) << shift;
          return start < end && start + (1 << shift) > first;
        };
      }
    }
    const what = this.describe(scope, label);
    let n = 0;
    for (const cpu of cpus) {
      for (let e = 0; e < this.entriesPerCpu; e++) {
        const s = this.slot(cpu, e);
        if (ld32(this.a, s + VALID) !== 0 && match(s)) {
          st32(this.a, s + VALID, 0);
          n++;
        }
      }
    }
    if (on !== 'broadcast') {
      this.count(C_LOCAL);
      note(`${what} on ${this.phys.name(on)}: ${n} entries`);
    } else {
      this.count(scope === 'all' ? C_ALL : scope.pages ? C_PAGES : C_TAG);
      note(scope === 'all' ? `${what}: ${n} entries on ${this.cpus} ${this.phys.plural}` : `${what}: ${n} entries`);
    }
    return n;
  }

  private describe(scope: TlbScope, label: string): string {
    if (scope === 'all') return label;
    const { tag, space, pages } = scope;
    if (!pages) return `${label} ${this.key(tag, space)}`;
    return `${label} ${this.key(tag, space)} ${this.words.address} pages ${pages[0]}..${pages[0] + pages[1] - 1}`;
  }

  private pendingSlot(i: number): number {
    return this.pBase + i * P_FIELDS;
  }

  /** Queues a TLBI by `actor` until its dsb(ish); with the queue full, the oldest completes first. */
  private issue(actor: number, scope: TlbScope, on: TlbReach): void {
    let free = -1;
    for (let i = 0; i < PENDING_TLBIS && free < 0; i++) if (ld32(this.p, this.pendingSlot(i) + P_USED) === 0) free = i;
    if (free < 0) {
      this.completeSlot(0, 'completes early (the pending queue is full)');
      this.compact();
      free = PENDING_TLBIS - 1;
    }
    const s = this.pendingSlot(free);
    st32(this.p, s + P_ISSUER, actor);
    st32(this.p, s + P_KIND, scope === 'all' ? 0 : scope.pages ? 2 : 1);
    st32(this.p, s + P_TAG, scope === 'all' ? 0 : scope.tag);
    st32(this.p, s + P_SPACE, scope === 'all' || scope.space === undefined ? 0 : scope.space + 1);
    st32(this.p, s + P_FIRST, scope !== 'all' && scope.pages ? scope.pages[0] : 0);
    st32(this.p, s + P_COUNT, scope !== 'all' && scope.pages ? scope.pages[1] : 0);
    st32(this.p, s + P_ON, on === 'broadcast' ? -1 : on);
    st32(this.p, s + P_USED, 1);
  }

  /** Applies pending TLBI `i` and frees its slot. */
  private completeSlot(i: number, how: string): void {
    const s = this.pendingSlot(i);
    const kind = ld32(this.p, s + P_KIND);
    const space = ld32(this.p, s + P_SPACE);
    const scope: TlbScope =
      kind === 0
        ? 'all'
        : { tag: ld32(this.p, s + P_TAG), ...(space ? { space: space - 1 } : {}), ...(kind === 2 ? { pages: [ld32(this.p, s + P_FIRST), ld32(this.p, s + P_COUNT)] as const } : {}) };
    const on = ld32(this.p, s + P_ON);
    st32(this.p, s + P_USED, 0);
    this.apply(scope, on < 0 ? 'broadcast' : on, `TLBI ${how}:`);
  }

  /** Moves the pending TLBIs down over freed slots, keeping their issue order. */
  private compact(): void {
    let to = 0;
    for (let i = 0; i < PENDING_TLBIS; i++) {
      const s = this.pendingSlot(i);
      if (ld32(this.p, s + P_USED) === 0) continue;
      if (i !== to) {
        const d = this.pendingSlot(to);
        for (let f = 0; f < P_FIELDS; f++) st32(this.p, d + f, ld32(this.p, s + f));
        st32(this.p, s + P_USED, 0);
      }
      to++;
    }
  }

  /** dsb(ish) by `actor`: every TLBI it issued before completes, in issue order. */
  private completeTlbis(actor: number): void {
    if (!memoryModel.arm64) return; // under sc every TLBI completed when issued
    let any = false;
    for (let i = 0; i < PENDING_TLBIS; i++) {
      const s = this.pendingSlot(i);
      if (ld32(this.p, s + P_USED) === 0 || ld32(this.p, s + P_ISSUER) !== actor) continue;
      this.completeSlot(i, 'completes at dsb(ish)');
      any = true;
    }
    if (!any) return;
    this.compact();
    memoryModel.arm64?.publishWalked(actor); // later walks see the table writes made before the TLBI
  }

  /** TLBIs issued and not yet completed by their issuer's dsb(ish) (always 0 under sc). */
  pendingTlbis(): number {
    let n = 0;
    for (let i = 0; i < PENDING_TLBIS; i++) if (ld32(this.p, this.pendingSlot(i) + P_USED) !== 0) n++;
    return n;
  }

  private key(tag: number, space: number | undefined): string {
    return `${this.words.tag} ${tag}${space ? ` ${this.words.space ?? 'space'} ${space}` : ''}`;
  }

  /** Every valid entry of `cpu`, for invariants. */
  validEntries(cpu: number): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let e = 0; e < this.entriesPerCpu; e++) if (this.isValid(cpu, e)) out.push(this.entry(cpu, e));
    return out;
  }

  /** The statistics so far (figures only). */
  counters(): TlbCounters {
    const c = (i: number) => Atomics.load(this.ctr, this.ctrBase + i) /* figures only */;
    return { fills: c(C_FILLS), hits: c(C_HITS), flushAll: c(C_ALL), flushTag: c(C_TAG), flushPages: c(C_PAGES), flushLocal: c(C_LOCAL) };
  }

  /**
   * The first CPU whose TLB holds two entries of one tag and space covering the same page (a page
   * and the block that replaced its table, say): a TLB conflict, which the architecture may report
   * as an abort or resolve to either translation. Described; else null.
   */
  findConflict(): string | null {
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const entries = this.validEntries(cpu);
      for (let i = 0; i < entries.length; i++) {
        for (let j = i + 1; j < entries.length; j++) {
          const a = entries[i];
          const b = entries[j];
          if (a.tag !== b.tag || a.space !== b.space) continue;
          const [aStart, aEnd] = [(a.page >>> a.shift) << a.shift, ((a.page >>> a.shift) + 1) << a.shift];
          const [bStart, bEnd] = [(b.page >>> b.shift) << b.shift, ((b.page >>> b.shift) + 1) << b.shift];
          if (aStart < bEnd && bStart < aEnd) {
            const kind = (e: TlbEntry) => (e.shift ? `a ${((1 << e.shift) * 4) / 1024} MiB block` : 'a 4 KiB page');
            return `${this.phys.name(cpu)}'s TLB holds ${kind(a)} and ${kind(b)} for ${this.words.address} page ${Math.max(aStart, bStart)} under ${this.key(a.tag, a.space)}: a TLB conflict`;
          }
        }
      }
    }
    return null;
  }

  /** The first CPU whose TLB holds entries of two owners under one tag, described; else null. */
  findTagAlias(): string | null {
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const owners = new Map<number, number>();
      for (const t of this.validEntries(cpu)) {
        const other = owners.get(t.tag);
        if (other === undefined) owners.set(t.tag, t.owner);
        else if (other !== t.owner) {
          return `${this.phys.name(cpu)}'s TLB holds entries of ${this.words.owner} ${other} and ${this.words.owner} ${t.owner} under ${this.words.tag} ${t.tag}`;
        }
      }
    }
    return null;
  }
}
