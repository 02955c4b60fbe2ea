// The VMID world shared by the VMID scenarios: physical CPUs with TLBs and IPIs, VMs and their
// vCPU threads, and one of the two allocator families. Designs pick the allocator and variant.
import { NONE, Ipis, PhysCpus, Tlbs, Vcpus } from 'hyprace';
import type { ActorDefinition, DesignContext, DesignDefinition, InvariantDefinition, Layout, OptionSpecs, WordArray } from 'hyprace';
import { ARM64_STAGE2_TLB_WORDS, VTTBR_EL2, __kvm_flush_vm_context } from 'hyprace/arm64';
import {
  KvmVmid2012,
  KvmVmid2022,
  NO_CROSS_VM_TLB_HIT,
  kvmArmVmidUpdate,
  pcpuIrq,
  speculativeWalker,
  updateVttbr2012,
  vcpuRunLoop,
  type RunLoopOptions,
  type Speculation,
  type UpdateVttbrIpi,
  type UpdateVttbrVariant,
  type VmidUpdateVariant,
} from 'hyprace/vmid';

export interface VmidOptions extends RunLoopOptions, UpdateVttbrVariant, VmidUpdateVariant {
  allocator: '2012' | '2022';
  cpus: number;
  /** vCPUs of each VM: [2, 1, 1, 1] is VM 0 with two vCPUs and three VMs with one. */
  vcpusPerVm: number[];
  vmidBits: number;
  tlbEntries: number;
  /** Speculative TLB fills from VTTBR_EL2 by a walker actor per CPU, and when they may happen. */
  speculation: Speculation;
  walksPerCpu: number;
  /**
   * VMIDs of the current generation already handed out before the run to VMs that have since
   * gone (neither allocator frees a VMID when its VM is destroyed): the run starts this close to
   * a rollover.
   */
  vmidsUsedBefore: number;
}

/**
 * Short runs close to a rollover: the races here sit within a few dozen steps of one, and PCT's
 * odds shrink with run length. Three CPUs let two vCPUs of VM 0 run while another VM rolls the
 * generation over. The 2022 designs use two CPUs: vmid.c needs more VMIDs than CPUs + 1, and with
 * two-bit VMIDs the generation rolls over every few allocations.
 */
export const VMID_DEFAULTS: VmidOptions = {
  allocator: '2012',
  cpus: 3,
  vcpusPerVm: [2, 1, 1],
  vmidBits: 2,
  tlbEntries: 8,
  speculation: 'none',
  walksPerCpu: 6,
  vmidsUsedBefore: 2,
  runs: 1,
  entriesPerRun: 1,
  touchesPerEntry: 1,
  migrateChance: 0.1,
  signalChance: 0.02,
  earlyRunChance: 0.02,
  pagesPerVm: 4,
  lifetimes: 1,
  recheckUnderLock: true,
  lock: 'spin',
  publishGenFirst: false,
  smpWmb: true,
  smpRmb: true,
  flush: 'force_vm_exit',
  fastPath: 'cmpxchg',
  markReserved: true,
  vttbrLoad: 'after-update',
};

const CHANCE = { min: 0, max: 1 } as const;

/** What each option takes: `--set` values outside these are refused before anything runs. */
export const VMID_OPTION_SPECS: OptionSpecs<VmidOptions> = {
  allocator: { choices: ['2012', '2022'], description: 'update_vttbr() of 2012-2018, or vmid.c of 2022' },
  cpus: { integer: true, min: 1, max: 8, description: 'physical CPUs' },
  vcpusPerVm: { minItems: 1, maxItems: 64, items: { integer: true, min: 1, max: 4 }, description: 'vCPUs of each VM (at most 64 vCPUs in all)' },
  vmidBits: { integer: true, min: 1, max: 8, description: 'VMID width (2022: more VMIDs than CPUs + 1)' },
  tlbEntries: { integer: true, min: 1, max: 64, description: 'TLB entries per CPU' },
  speculation: { choices: ['none', 'in-guest', 'loaded'], description: 'speculative TLB fills from VTTBR_EL2: never, while in the guest, whenever loaded' },
  walksPerCpu: { integer: true, min: 0, max: 1_000_000, description: 'speculative walks per CPU' },
  vmidsUsedBefore: { integer: true, min: 0, max: 255, description: 'VMIDs of the current generation handed out before the run (fewer than the VMIDs there are)' },
  runs: { integer: true, min: 1, max: 1e9, description: 'KVM_RUN ioctls per vCPU thread' },
  entriesPerRun: { integer: true, min: 1, max: 1000, description: 'guest entries per KVM_RUN' },
  touchesPerEntry: { integer: true, min: 1, max: 100, description: 'most guest memory accesses per entry' },
  migrateChance: { ...CHANCE, description: 'chance that cond_resched() migrates the thread' },
  signalChance: { ...CHANCE, description: 'chance of a pending signal at the IRQs-off check' },
  earlyRunChance: { ...CHANCE, description: 'chance of KVM_RUN before KVM_ARM_VCPU_INIT' },
  pagesPerVm: { integer: true, min: 1, max: 256, description: 'guest pages per VM' },
  lifetimes: { integer: true, min: 1, max: 1000, description: 'lifetimes of a single-vCPU VM (destroyed and created anew)' },
  lock: { choices: ['spin', 'rw'], description: 'kvm_vmid_lock: spinlock, or rwlock around the fast check' },
  flush: { choices: ['on_each_cpu', 'force_vm_exit'], description: 'how a rollover flushes the other CPUs' },
  fastPath: { choices: ['cmpxchg', 'xchg'], description: "vmid.c's fast path on active_vmids" },
  vttbrLoad: { choices: ['after-update', 'eager', 'update-at-load'], description: 'where VTTBR_EL2 is programmed relative to the VMID update' },
};

/** Combinations the model cannot run: vmid.c's own refusal, and VMIDs that do not exist. */
export function checkVmidOptions(o: VmidOptions): string | null {
  const vmids = (1 << o.vmidBits) - 1;
  if (o.allocator === '2022' && vmids <= o.cpus) return `vmid.c needs more VMIDs than CPUs plus one: vmidBits=${o.vmidBits} gives ${vmids} for ${o.cpus} CPUs`;
  if (o.vmidsUsedBefore >= vmids) return `vmidsUsedBefore=${o.vmidsUsedBefore} leaves no VMID of the ${vmids} that vmidBits=${o.vmidBits} gives`;
  const total = o.vcpusPerVm.reduce((a, b) => a + b, 0);
  if (total > 64) return `vcpusPerVm asks for ${total} vCPUs; at most 64`;
  return null;
}

/** vmid.c's shape: two CPUs, four VMs, VMs destroyed and created so the generation turns over. */
const V2022: Partial<VmidOptions> = { allocator: '2022', cpus: 2, vcpusPerVm: [2, 1, 1, 1], entriesPerRun: 2, lifetimes: 2 };

export interface VmidHost {
  opts: VmidOptions;
  cpus: PhysCpus<'VTTBR_EL2'>;
  stage2Reg: typeof VTTBR_EL2;
  vcpuInit: string;
  vcpus: Vcpus;
  tlbs: Tlbs;
  ipis: Ipis<UpdateVttbrIpi>;
  v2012?: KvmVmid2012;
  v2022?: KvmVmid2022;
  walksLeft: WordArray;
}

const V2022_DESIGNS = ['v2022-vmid', 'v2022-vmid-vhe', 'v2025-vmid-load', 'v2022-vmid-nomark'];

export const VMID_DESIGNS = {
  'v2012-posted': {
    description: 'seed 002 as posted (Nov 2012): no re-check under kvm_vmid_lock, on_each_cpu(reset_vm_context)',
    expect: 'caught',
    options: { allocator: '2012', recheckUnderLock: false, lock: 'spin', publishGenFirst: true, flush: 'on_each_cpu' },
  },
  'v2012-merged': {
    description: 'as merged in 3.9: re-check under the lock, force_vm_exit(); vmid_gen still written before vmid and vttbr',
    expect: 'caught',
    options: { allocator: '2012', recheckUnderLock: true, lock: 'spin', publishGenFirst: true, flush: 'force_vm_exit' },
  },
  'v2018-rwlock': {
    description: 'f0cf47d939d0 "Close VMID generation race": kvm_vmid_lock an rwlock around the fast-path check',
    expect: 'caught',
    options: { allocator: '2012', recheckUnderLock: true, lock: 'rw', publishGenFirst: true, flush: 'force_vm_exit' },
  },
  'v2018-lockless': {
    description: 'fb544d1ca65a "Fix VMID alloc race by reverting to lock-less": vttbr written, smp_wmb(), then vmid_gen',
    expect: 'holds',
    options: { allocator: '2012', recheckUnderLock: true, lock: 'spin', publishGenFirst: false, flush: 'force_vm_exit' },
  },
  'v2018-lockless-no-wmb': {
    description: 'v2018-lockless without the writer\'s smp_wmb(): vmid_gen may become visible before vttbr (holds under sc, caught under arm64)',
    expect: 'holds',
    expectUnder: { arm64: 'caught' },
    options: { allocator: '2012', recheckUnderLock: true, lock: 'spin', publishGenFirst: false, smpWmb: false, flush: 'force_vm_exit' },
  },
  'v2022-vmid': {
    description: 'arch/arm64/kvm/vmid.c (5.18): vmid_map, active/reserved VMIDs per CPU, cmpxchg fast path; stage 2 loaded after the update (nVHE)',
    expect: 'holds',
    options: { ...V2022 },
  },
  'v2022-vmid-vhe': {
    description: 'vmid.c with VHE since 934bf871f011: VTTBR_EL2 programmed at vcpu_load, reloaded only if this vCPU allocated (fixed by fa808ed4e199)',
    expect: 'caught',
    options: { ...V2022, vttbrLoad: 'eager' },
  },
  'v2025-vmid-load': {
    description: 'fa808ed4e199 "Ensure a VMID is allocated before programming VTTBR_EL2": kvm_arm_vmid_update() in vcpu_load',
    expect: 'holds',
    options: { ...V2022, vttbrLoad: 'update-at-load' },
  },
  'v2022-vmid-nomark': {
    description: 'mutant of vmid.c: flush_context() does not mark reserved VMIDs in the new vmid_map',
    expect: 'caught',
    options: { ...V2022, markReserved: false },
  },
} satisfies Record<string, DesignDefinition<VmidOptions>>;

export function vmidHost(layout: Layout, design: DesignContext<VmidOptions>): VmidHost {
  const opts = design.options;
  const cpus = new PhysCpus(layout, opts.cpus, { registers: ['VTTBR_EL2'] });
  const vcpus = new Vcpus(layout, opts.vcpusPerVm);
  const tlbs = new Tlbs(layout, cpus, opts.tlbEntries, ARM64_STAGE2_TLB_WORDS);
  // reset_vm_context() flushes every VMID's entries: __kvm_flush_vm_context (a broadcast TLBI).
  const ipis = new Ipis(layout, cpus, { reset_vm_context: () => __kvm_flush_vm_context(tlbs), exit_vm_noop: () => undefined });
  const vms = opts.vcpusPerVm.length;
  const v2012 = opts.allocator === '2012' ? new KvmVmid2012(layout, vms, opts.vmidBits, opts.lock) : undefined;
  const v2022 = opts.allocator === '2022' ? new KvmVmid2022(layout, vms, opts.cpus, opts.vmidBits) : undefined;
  const walksLeft = layout.words('walks_left', opts.cpus, (c) => `cpu${c}.speculative_walks_left`, { ghost: true });
  return { opts, cpus, stage2Reg: VTTBR_EL2, vcpuInit: 'KVM_ARM_VCPU_INIT', vcpus, tlbs, ipis, v2012, v2022, walksLeft };
}

export function vmidInit(h: VmidHost): void {
  h.cpus.init();
  h.vcpus.init();
  h.v2012?.init(h.opts.vmidsUsedBefore);
  h.v2022?.init(h.opts.vmidsUsedBefore);
  for (let c = 0; c < h.opts.cpus; c++) h.walksLeft.at(c).store(h.opts.walksPerCpu);
}

export function vmidActors(h: VmidHost): ActorDefinition[] {
  const { opts, cpus, vcpus } = h;
  // A vCPU thread runs on the CPU it is loaded on; its VMM ioctls in between, in the VMM's lane.
  const where = (v: number) => () => {
    const c = vcpus.cpu.peek(v);
    return c === NONE ? undefined : `CPU${c}`;
  };
  const actors: ActorDefinition[] = vcpus.ids.map((id, v) => ({
    name: id.name,
    where: where(v),
    lane: 'VMM',
    machine: vcpuRunLoop(
      `vcpu-run-loop-${opts.allocator}`,
      h,
      v,
      opts,
      h.v2012 ? updateVttbr2012({ ...h, vmid: h.v2012 }, v, opts) : kvmArmVmidUpdate({ ...h, vmid: h.v2022! }, v, opts),
    ),
  }));
  if (h.v2012) {
    for (let c = 0; c < opts.cpus; c++) actors.push({ name: `cpu${c}.irq`, daemon: true, where: () => `CPU${c}`, machine: pcpuIrq(h, c) });
  }
  if (opts.speculation !== 'none') {
    const when = opts.speculation;
    for (let c = 0; c < opts.cpus; c++) actors.push({ name: `cpu${c}.walker`, daemon: true, where: () => `CPU${c}`, machine: speculativeWalker(h, c, opts.pagesPerVm, when) });
  }
  return actors;
}

/** The hardware VMID a VM currently holds (its allocation), or undefined if it has none. */
function allocatedVmid(h: VmidHost, vm: number): { vmid: number; current: boolean } | undefined {
  if (h.v2012) {
    const gen = h.v2012.vmid_gen.peek(vm);
    if (gen === 0) return undefined;
    return { vmid: h.v2012.vmid.peek(vm), current: gen === h.v2012.kvm_vmid_gen.peek() };
  }
  const a = h.v2022!;
  const id = a.id.peek(vm);
  if (id === 0) return undefined;
  return { vmid: a.idx(id), current: a.generationOf(id) === a.vmid_generation.peek() };
}

function running(h: VmidHost): { vcpu: number; vm: number; vmid: number }[] {
  const out = [];
  for (let v = 0; v < h.vcpus.count; v++) {
    const vmid = h.vcpus.running_vmid.peek(v);
    if (vmid !== NONE) out.push({ vcpu: v, vm: h.vcpus.ids[v].vm, vmid });
  }
  return out;
}

export const VMID_INVARIANTS: InvariantDefinition<VmidHost>[] = [
  {
    name: 'one-vmid-per-vm',
    description: 'all running vCPUs of a VM use the same VMID',
    check: (h) => {
      const seen = new Map<number, { vcpu: number; vmid: number }>();
      for (const r of running(h)) {
        const other = seen.get(r.vm);
        if (other && other.vmid !== r.vmid) {
          return `VM ${r.vm} runs with two VMIDs: ${h.vcpus.ids[other.vcpu].name} with ${other.vmid}, ${h.vcpus.ids[r.vcpu].name} with ${r.vmid}`;
        }
        seen.set(r.vm, r);
      }
      return null;
    },
  },
  {
    name: 'no-shared-vmid',
    description: 'no two VMs running at once share a VMID',
    check: (h) => {
      const byVmid = new Map<number, { vcpu: number; vm: number }>();
      for (const r of running(h)) {
        const other = byVmid.get(r.vmid);
        if (other && other.vm !== r.vm) {
          return `VM ${other.vm} (${h.vcpus.ids[other.vcpu].name}) and VM ${r.vm} (${h.vcpus.ids[r.vcpu].name}) both run with VMID ${r.vmid}`;
        }
        byVmid.set(r.vmid, r);
      }
      return null;
    },
  },
  {
    name: 'running-vmid-current',
    description: "a running vCPU's VMID is never 0 (the host's) and is its VM's current allocation",
    check: (h) => {
      for (const r of running(h)) {
        const name = h.vcpus.ids[r.vcpu].name;
        if (r.vmid === 0) return `${name} runs the guest with VMID 0, the host's`;
        const alloc = allocatedVmid(h, r.vm);
        if (!alloc) return `${name} runs with VMID ${r.vmid} but VM ${r.vm} has no VMID allocated`;
        if (alloc.vmid !== r.vmid) return `${name} runs with VMID ${r.vmid} but VM ${r.vm}'s VMID is now ${alloc.vmid}`;
      }
      return null;
    },
  },
  {
    name: 'vmid-unique-in-generation',
    description: 'no two VMs hold the same VMID in the current generation (vmid.c: kvm_vmid->id is generation | VMID in one word)',
    // The 2012 allocator publishes vmid_gen and vmid in separate stores, so its intermediate
    // states are not allocations; its races show in what running vCPUs use instead.
    designs: [...V2022_DESIGNS],
    check: (h) => {
      const owner = new Map<number, number>();
      for (let vm = 0; vm < h.opts.vcpusPerVm.length; vm++) {
        const a = allocatedVmid(h, vm);
        if (!a || !a.current) continue;
        const other = owner.get(a.vmid);
        if (other !== undefined) return `VM ${other} and VM ${vm} both hold VMID ${a.vmid} in the current generation`;
        owner.set(a.vmid, vm);
      }
      return null;
    },
  },
  {
    name: 'tlb-no-vmid-alias',
    description: "no CPU's TLB holds entries of two VMs under one VMID",
    check: (h) => h.tlbs.findTagAlias(),
  },
  {
    name: NO_CROSS_VM_TLB_HIT,
    description: "a guest access never hits a TLB entry made from another VM's stage-2 tables",
  },
  {
    name: 'vmid-map-covers-reserved',
    description: 'whenever cpu_vmid_lock is free, vmid_map marks every reserved VMID and every active VMID of the current generation',
    designs: [...V2022_DESIGNS],
    check: (h) => {
      const a = h.v2022;
      // vmid_map belongs to cpu_vmid_lock: flush_context() rebuilds it one CPU at a time.
      if (!a || a.cpu_vmid_lock.isLocked()) return null;
      const gen = a.vmid_generation.peek();
      for (let c = 0; c < h.opts.cpus; c++) {
        const reserved = a.reserved_vmids.peek(c);
        if (a.idx(reserved) !== 0 && a.vmid_map.peek(a.idx(reserved)) === 0) return `cpu${c} reserves VMID ${a.idx(reserved)} but vmid_map does not mark it`;
        const active = a.active_vmids.peek(c);
        if (a.idx(active) !== 0 && a.generationOf(active) === gen && a.vmid_map.peek(a.idx(active)) === 0) return `cpu${c}'s active VMID ${a.idx(active)} is not marked in vmid_map`;
      }
      return null;
    },
  },
];

export function vmidFigures(h: VmidHost): Record<string, number> {
  const alloc = h.v2012 ?? h.v2022!;
  const t = h.tlbs.counters();
  let entries = 0;
  let eintr = 0;
  let enoexec = 0;
  for (let v = 0; v < h.vcpus.count; v++) {
    entries += h.vcpus.entries.peek(v);
    eintr += h.vcpus.eintr.peek(v);
    enoexec += h.vcpus.enoexec.peek(v);
  }
  return {
    rollovers: alloc.rollovers.peek(),
    allocations: alloc.allocations.peek(),
    guestEntries: entries,
    tlbFills: t.fills,
    tlbFlushAll: t.flushAll,
    ipis: h.ipis.sent.peek(0),
    eintr,
    enoexec,
  };
}
