// The arm64 VMID allocator (arch/arm64/kvm/vmid.c) on its own, as the public TLA+ model of it
// (kernel-tla vmidalloc.tla, after asidalloc.tla) abstracts it: each CPU's scheduler switches
// between tasks, and a TLB entry may be loaded speculatively as soon as a TTBR is set. The same
// configuration as the model's: 2 CPUs, 6 tasks, 4 VMIDs.
import { NONE, PhysCpus, Tlbs, defineScenario, type DesignDefinition, type InvariantDefinition, type WordArray } from 'hyprace';
import { vttbr_vmid } from 'hyprace/arm64';
import { KvmVmid2022, vmidSchedLoop, type SchedLoopOptions, type VmidUpdateVariant } from 'hyprace/vmid';

interface Options extends SchedLoopOptions, VmidUpdateVariant {
  cpus: number;
  vmidBits: number;
}

interface Host {
  opts: Options;
  cpus: PhysCpus<'VTTBR_EL2'>;
  tlbs: Tlbs;
  vmid: KvmVmid2022;
  activeTask: WordArray;
  atSchedLoop: WordArray;
}

const CORE = ['v2022-vmid', 'v2022-vmid-xchg', 'v2022-vmid-nomark', 'v2022-vmid-generation-late'];

const designs = {
  'v2022-vmid': {
    description: 'arch/arm64/kvm/vmid.c: cmpxchg fast path; checked against the allocator invariants',
    expect: 'holds',
    options: { fastPath: 'cmpxchg', markReserved: true },
  },
  'v2022-vmid-xchg': {
    // In the run-loop model (vmid-rollover) vcpu_put always sets VMID_ACTIVE_INVALID, and the race
    // then needs three CPUs and two rollovers around one stalled vCPU: reachable there with
    // --set fastPath=xchg --set cpus=3 --set vmidBits=3, but only after minutes of search.
    description: 'the xchg fast path of the ASID allocator bug that the TLA+ model found (a8ffaaa060b8)',
    expect: 'caught',
    options: { fastPath: 'xchg', markReserved: true },
  },
  'v2022-vmid-nomark': {
    description: 'mutant: flush_context() does not mark reserved VMIDs in the new vmid_map',
    expect: 'caught',
    options: { fastPath: 'cmpxchg', markReserved: false },
  },
  'v2022-vmid-generation-late': {
    // Not a kernel patch: what ARMv8 permits vmid.c itself. Its rollover bumps vmid_generation with
    // atomic64_add_return_relaxed() and then zeroes active_vmids with atomic64_xchg_relaxed(); no
    // barrier orders the two writes, so another CPU may see the 0 first. Here the bump comes after
    // the xchgs in program order, so sc explores it: kvm_arm_vmid_clear_active() then overwrites
    // the 0 with VMID_ACTIVE_INVALID, the stale generation passes vmid_gen_match(), and the fast
    // path's cmpxchg succeeds with a VMID no rollover reserved.
    description: 'v2022-vmid with the generation bump visible only after flush_context(): the order ARMv8 allows its two relaxed RMWs',
    expect: 'caught',
    options: { fastPath: 'cmpxchg', markReserved: true, generationAfterFlush: true },
  },
  'v2022-vmid-tlb': {
    description: 'v2022-vmid again, checked for TLB aliasing under speculative loads with only the broadcast flush at rollover',
    expect: 'caught',
    expectInvariants: ['tlb-no-vmid-alias'],
    options: { fastPath: 'cmpxchg', markReserved: true },
  },
} satisfies Record<string, DesignDefinition<Options>>;

const invariants: InvariantDefinition<Host>[] = [
  {
    name: 'same-vmid-active-task',
    description: 'a task active on two CPUs has the same VMID on both, outside the switching code (SameVMIDActiveTask)',
    designs: CORE,
    check: (h) => {
      for (let c1 = 0; c1 < h.opts.cpus; c1++) {
        for (let c2 = c1 + 1; c2 < h.opts.cpus; c2++) {
          const t = h.activeTask.peek(c1);
          if (t === NONE || t !== h.activeTask.peek(c2) || !h.atSchedLoop.peek(c1) || !h.atSchedLoop.peek(c2)) continue;
          const v1 = vttbr_vmid(h.cpus.reg('VTTBR_EL2').peek(c1));
          const v2 = vttbr_vmid(h.cpus.reg('VTTBR_EL2').peek(c2));
          if (v1 !== v2) return `task ${t} is active on cpu${c1} with VMID ${v1} and on cpu${c2} with VMID ${v2}`;
        }
      }
      return null;
    },
  },
  {
    name: 'vmid-unique-in-generation',
    description: 'no two tasks hold the same VMID in the current generation',
    designs: CORE,
    check: (h) => {
      const a = h.vmid;
      const gen = a.vmid_generation.peek();
      const owner = new Map<number, number>();
      for (let t = 0; t < h.opts.tasks; t++) {
        const id = a.id.peek(t);
        if (id === 0 || a.generationOf(id) !== gen) continue;
        const other = owner.get(a.idx(id));
        if (other !== undefined) return `tasks ${other} and ${t} both hold VMID ${a.idx(id)} in generation ${gen >> h.opts.vmidBits}`;
        owner.set(a.idx(id), t);
      }
      return null;
    },
  },
  {
    name: 'vmid-map-covers-reserved',
    description: 'whenever cpu_vmid_lock is free, vmid_map marks every reserved VMID and every active VMID of the current generation',
    designs: CORE,
    check: (h) => {
      const a = h.vmid;
      if (a.cpu_vmid_lock.isLocked()) return null;
      const gen = a.vmid_generation.peek();
      for (let c = 0; c < h.opts.cpus; c++) {
        const r = a.reserved_vmids.peek(c);
        if (a.idx(r) !== 0 && !a.vmid_map.peek(a.idx(r))) return `cpu${c} reserves VMID ${a.idx(r)} but vmid_map does not mark it`;
        const act = a.active_vmids.peek(c);
        if (a.idx(act) !== 0 && a.generationOf(act) === gen && !a.vmid_map.peek(a.idx(act))) return `cpu${c}'s active VMID ${a.idx(act)} is not marked in vmid_map`;
      }
      return null;
    },
  },
  {
    name: 'active-vmid-current',
    description: "whenever cpu_vmid_lock is free, every CPU's active_vmids is 0, VMID_ACTIVE_INVALID or a VMID of the current generation (a rollover zeroes them all, and only a current VMID is set after it)",
    designs: ['v2022-vmid', 'v2022-vmid-generation-late'],
    check: (h) => {
      const a = h.vmid;
      if (a.cpu_vmid_lock.isLocked()) return null;
      const gen = a.vmid_generation.peek();
      for (let c = 0; c < h.opts.cpus; c++) {
        const act = a.active_vmids.peek(c);
        if (act !== 0 && act !== a.VMID_ACTIVE_INVALID && a.generationOf(act) !== gen) return `cpu${c}'s active VMID ${a.idx(act)} is of generation ${a.generationOf(act) >> h.opts.vmidBits}, the current one is ${gen >> h.opts.vmidBits}: no rollover reserved it`;
      }
      return null;
    },
  },
  {
    name: 'tlb-no-vmid-alias',
    description: "no CPU's TLB holds entries of two tasks under one VMID (UniqueASIDPerCPU of asidalloc.tla)",
    designs: ['v2022-vmid-tlb'],
    check: (h) => h.tlbs.findTagAlias(),
  },
];

export default defineScenario({
  name: 'vmid-allocator',
  title: 'the arm64 VMID allocator alone, as the public TLA+ model abstracts it (2 CPUs, 6 tasks, 4 VMIDs)',
  seeds: ['002'],
  options: { cpus: 2, tasks: 6, vmidBits: 2, switches: 12, fastPath: 'cmpxchg', markReserved: true, vttbrLoad: 'after-update', generationAfterFlush: false } as Options,
  optionSpecs: {
    cpus: { integer: true, min: 1, max: 8, description: 'physical CPUs' },
    tasks: { integer: true, min: 1, max: 64, description: 'tasks (VMs) the schedulers switch between' },
    vmidBits: { integer: true, min: 2, max: 8, description: 'VMID width: vmid.c needs more VMIDs than CPUs + 1' },
    switches: { integer: true, min: 1, max: 1_000_000, description: 'scheduling decisions each CPU makes' },
    fastPath: { choices: ['cmpxchg', 'xchg'], description: "vmid.c's fast path on active_vmids" },
    vttbrLoad: { choices: ['after-update', 'eager', 'update-at-load'], description: 'where the TTBR is set relative to the VMID update' },
  },
  checkOptions: (o) => ((1 << o.vmidBits) - 1 <= o.cpus ? `vmid.c needs more VMIDs than CPUs plus one: vmidBits=${o.vmidBits} gives ${(1 << o.vmidBits) - 1} for ${o.cpus} CPUs` : null),
  designs,
  // Random finds the xchg race faster here than PCT: it needs many interleaved short switches.
  budget: { strategy: 'random', depth: 3, iterations: 200_000, timeSeconds: 10, stepLimit: 2000 },
  host: (layout, d) => {
    const opts = d.options;
    const cpus = new PhysCpus(layout, opts.cpus, { registers: ['VTTBR_EL2'] });
    return {
      opts,
      cpus,
      // The TLA+ model's tasks own the entries: its words, not a VM's.
      tlbs: new Tlbs(layout, cpus, opts.tasks + 2, { tag: 'VMID', address: 'IPA', owner: 'task' }),
      vmid: new KvmVmid2022(layout, opts.tasks, opts.cpus, opts.vmidBits),
      activeTask: layout.words('active_task', opts.cpus, (c) => `cpu${c}.active_task`),
      atSchedLoop: layout.words('at_sched_loop', opts.cpus, (c) => `cpu${c}.at_sched_loop (ghost)`, { ghost: true }),
    };
  },
  init: (h) => {
    h.cpus.init();
    h.vmid.init();
    for (let c = 0; c < h.opts.cpus; c++) {
      h.activeTask.at(c).store(NONE);
      h.atSchedLoop.at(c).store(1);
    }
  },
  actors: (h) =>
    Array.from({ length: h.opts.cpus }, (_, c) => ({
      name: `cpu${c}.sched`,
      where: () => `CPU${c}`,
      machine: vmidSchedLoop(h, c, h.opts, h.opts),
    })),
  invariants,
  figures: (h) => ({ rollovers: h.vmid.rollovers.peek(), allocations: h.vmid.allocations.peek(), tlbFills: h.tlbs.counters().fills }),
});
