// Worked example 3: a RISC-V-style VMID allocator, after arch/riscv/kvm/vmid.c, on the same
// architecture-neutral parts as the arm64 scenarios: harts with an hgatp register (PhysCpus),
// VMID-tagged G-stage TLBs (Tlbs), a remote fence by hart mask (Ipis), and hyprace's vCPU run
// loop and per-hart interrupt context. The allocator: a global vmid_version and vmid_next under
// vmid_lock; a VM whose version is stale takes the lock, re-checks, and takes vmid_next; the first
// VM of a new version fences every hart's G-stage TLB (on_each_cpu_mask, which also kicks running
// guests out); the VM's vCPUs then reload hgatp when they see a KVM_REQ_UPDATE_HGATP request.
// The designs differ in when those requests are made. (A model of the code's structure: hgatp is
// loaded at vcpu_load and on the request only, and a request does not kick a running vCPU.)
//
// Run it:   npx hyprace explore examples/riscv-vmid.ts --design no-recheck
//
// Under `--memory arm64` (ARMv8's model, not RISC-V's RVWMO) before-version is caught: nothing
// orders the last request before the version; before-version-mb adds the smp_wmb()/smp_rmb() pair.
import { NONE, Ipis, PhysCpus, Spinlock, Tlbs, Vcpus, defineScenario, dsb, note, smp_mb, smp_rmb, smp_wmb } from 'hyprace';
import type { InvariantDefinition, Layout, Stage2Register, StepState, Word, WordArray } from 'hyprace';
import { NO_CROSS_VM_TLB_HIT, pcpuIrq, vcpuRunLoop, vmPgd, type Locals, type RunLoopOptions, type VmidDesign } from 'hyprace/vmid';

interface Options extends RunLoopOptions {
  harts: number;
  vcpusPerVm: number[];
  vmidBits: number;
  tlbEntries: number;
  /** When kvm_riscv_gstage_vmid_update() asks the VM's vCPUs to reload hgatp (and whether it re-checks under the lock). */
  design: 'after-unlock' | 'before-version' | 'before-version-mb' | 'no-recheck';
}

/** hgatp scaled to a 32-bit word: VMID above bit 16, the root table's PPN below (MODE left out). */
const HGATP: Stage2Register = { name: 'hgatp', make: (ppn, vmid) => ((vmid << 16) | ppn) >>> 0, vmid: (v) => v >>> 16, root: (v) => v & 0xffff };

interface Host {
  opts: Options;
  cpus: PhysCpus<'hgatp'>;
  stage2Reg: Stage2Register;
  vcpus: Vcpus;
  tlbs: Tlbs;
  ipis: Ipis<'__local_hfence_gvma_all'>;
  vmid_lock: Spinlock;
  vmid_version: Word;
  vmid_next: Word;
  /** kvm->arch.vmid.{vmid_version, vmid} of each VM. */
  vm_version: WordArray;
  vm_vmid: WordArray;
  /** Per vCPU: KVM_REQ_UPDATE_HGATP pending, and vcpu->arch.last_exit_cpu. */
  req_update_hgatp: WordArray;
  last_exit_cpu: WordArray;
  rollovers: Word;
}

function riscvHost(layout: Layout, opts: Options): Host {
  const cpus = new PhysCpus(layout, opts.harts, { registers: ['hgatp'], name: (h) => `hart${h}`, plural: 'harts' });
  const tlbs = new Tlbs(layout, cpus, opts.tlbEntries, { tag: 'VMID', address: 'GPA', owner: 'VM' });
  const vcpus = new Vcpus(layout, opts.vcpusPerVm);
  const vms = opts.vcpusPerVm.length;
  return {
    opts,
    cpus,
    stage2Reg: HGATP,
    vcpus,
    tlbs,
    // __local_hfence_gvma_all(): HFENCE.GVMA on the hart that runs it, every VMID.
    // (An HFENCE.GVMA is complete once it retires; hyprace's arm64 model completes a TLB
    // invalidation at its issuer's dsb(ish), so one follows it, a no-op under sc.)
    ipis: new Ipis(layout, cpus, {
      __local_hfence_gvma_all: (hart) => {
        tlbs.invalidate('all', hart, 'HFENCE.GVMA');
        dsb('ish');
      },
    }),
    vmid_lock: new Spinlock(layout, 'vmid_lock'),
    vmid_version: layout.word('vmid_version'),
    vmid_next: layout.word('vmid_next'),
    vm_version: layout.words('kvm.vmid_version', vms, (m) => `kvm${m}->arch.vmid.vmid_version`),
    vm_vmid: layout.words('kvm.vmid', vms, (m) => `kvm${m}->arch.vmid.vmid`),
    req_update_hgatp: layout.words('req_update_hgatp', vcpus.count, (v) => `${vcpus.ids[v].name} KVM_REQ_UPDATE_HGATP`),
    last_exit_cpu: layout.words('last_exit_cpu', vcpus.count, (v) => `${vcpus.ids[v].name}->arch.last_exit_cpu`),
    rollovers: layout.word('rollovers'),
  };
}

/** kvm_riscv_gstage_vmid_update() and kvm_riscv_check_vcpu_requests(), as states of vCPU `v`'s run loop. */
function gstageVmid(h: Host, v: number): VmidDesign {
  const vm = h.vcpus.ids[v].vm;
  const hart = () => h.vcpus.cpu.peek(v);
  const hgatp = h.cpus.reg('hgatp');
  const mask = (1 << h.opts.vmidBits) - 1;
  const ordered = h.opts.design === 'before-version-mb';
  // before-version-mb: smp_rmb() after reading the versions, so that a vCPU that sees the new
  // version also sees the request made before it (the writer's smp_wmb() pairs with it).
  const verChanged = () => {
    const changed = h.vm_version.at(vm).load() !== h.vmid_version.load();
    if (ordered) smp_rmb();
    return changed;
  };
  const siblings = h.vcpus.ids.flatMap((id, i) => (id.vm === vm ? [i] : []));
  // kvm_make_request(): smp_wmb() orders what was written before the request, then set_bit().
  const makeRequests = () =>
    siblings.forEach((s) => {
      smp_wmb();
      h.req_update_hgatp.at(s).store(1);
    });
  const updateHgatp = (c: number) => hgatp.at(c).store(HGATP.make(vmPgd(vm), h.vm_vmid.at(vm).load()));
  const publish = () => {
    if (ordered) smp_wmb();
    h.vm_version.at(vm).store(h.vmid_version.load());
  };
  const unlock = () => h.vmid_lock.unlock();
  const writeVmid = () => {
    const next = h.vmid_next.load();
    h.vm_vmid.at(vm).store(next);
    h.vmid_next.store((next + 1) & mask);
  };
  // The allocation's last steps, in the design's order; each step's target is the next one's.
  const tail: [string, StepState<Locals>][] =
    h.opts.design === 'before-version' || ordered
      ? [
          ['write_vmid', { description: 'vmid->vmid = vmid_next++', step: { actions: writeVmid } }],
          ['make_requests', { description: 'kvm_make_request(KVM_REQ_UPDATE_HGATP) to each vCPU of the VM, under vmid_lock', step: { actions: makeRequests } }],
          ['publish_version', { description: 'WRITE_ONCE(vmid->vmid_version, vmid_version); spin_unlock(&vmid_lock)', step: { actions: [publish, unlock] } }],
        ]
      : [
          ['write_vmid', { description: 'vmid->vmid = vmid_next++', step: { actions: writeVmid } }],
          ['publish_version', { description: 'WRITE_ONCE(vmid->vmid_version, vmid_version); spin_unlock(&vmid_lock)', step: { actions: [publish, unlock] } }],
          ['make_requests', { description: 'kvm_make_request(KVM_REQ_UPDATE_HGATP) to each vCPU of the VM', step: { actions: makeRequests } }],
        ];
  tail.forEach(([, st], i) => ((st.step as { target?: string }).target = tail[i + 1]?.[0] ?? 'check_requests'));
  const states: Record<string, StepState<Locals>> = {
    vmid_update: { description: 'if (!kvm_riscv_gstage_vmid_ver_changed(vmid)) return;', step: [{ guard: verChanged, target: 'vmid_lock' }, { target: 'check_requests' }] },
    vmid_lock: { wait: h.vmid_lock.waitFor(), step: { actions: () => h.vmid_lock.lock(), target: h.opts.design === 'no-recheck' ? 'vmid_next' : 'vmid_recheck' } },
    vmid_recheck: {
      description: 'another vCPU may have allocated for this VM meanwhile',
      step: [{ guard: () => !verChanged(), actions: unlock, target: 'check_requests' }, { target: 'vmid_next' }],
    },
    vmid_next: { description: 'First user of a new VMID version?', step: [{ guard: () => h.vmid_next.load() === 0, target: 'vmid_rollover' }, { target: 'write_vmid' }] },
    vmid_rollover: {
      description: 'WRITE_ONCE(vmid_version, vmid_version + 1); vmid_next = 1',
      step: { actions: [() => h.vmid_version.add(1), () => h.vmid_next.store(1), () => h.rollovers.add(1)], target: 'hfence_all' },
    },
    hfence_all: { description: 'on_each_cpu_mask(cpu_online_mask, __local_hfence_gvma_all, NULL, 1)', step: { actions: () => void h.ipis.send(hart(), '__local_hfence_gvma_all', 'all'), target: 'hfence_wait' } },
    hfence_wait: { wait: () => h.ipis.acksFor(hart()), step: { actions: () => h.ipis.acknowledged(hart()), target: 'write_vmid' } },
    ...Object.fromEntries(tail),
    check_requests: {
      description: 'kvm_riscv_check_vcpu_requests(): KVM_REQ_UPDATE_HGATP reloads hgatp',
      step: [
        {
          guard: () => h.req_update_hgatp.at(v).load() !== 0,
          actions: () => {
            // kvm_check_request(): clear the request, then smp_mb__after_atomic() (a full barrier
            // on arm64) so that what the requester wrote before it is read after.
            h.req_update_hgatp.at(v).store(0);
            smp_mb();
            updateHgatp(hart());
          },
          target: 'local_irq_disable',
        },
        { target: 'local_irq_disable' },
      ],
    },
  };
  return {
    entry: 'vmid_update',
    states,
    // With IRQs off: a version change or a pending request sends the vCPU round the loop again.
    staleWithIrqsOff: () => verChanged() || h.req_update_hgatp.at(v).load() !== 0,
    stage2RegOnEntry: () => hgatp.peek(hart()),
    onLoad: (c) => updateHgatp(c),
    // kvm_riscv_local_tlb_sanitize(): a vCPU on another hart than last time flushes its VMID there.
    beforeEntry: (c) => {
      if (h.last_exit_cpu.at(v).load() !== c) {
        h.tlbs.invalidate({ tag: h.vm_vmid.at(vm).load() }, c, 'HFENCE.GVMA');
        dsb('ish');
      }
      h.last_exit_cpu.at(v).store(c);
    },
    resetVm: () => {
      h.vm_version.at(vm).store(0);
      h.vm_vmid.at(vm).store(0);
      note(`VM ${vm} created anew: no VMID`);
    },
  };
}

/** Running vCPUs: which VM, with which VMID in hgatp. */
function running(h: Host) {
  const out: { vcpu: string; vm: number; vmid: number }[] = [];
  for (let v = 0; v < h.vcpus.count; v++) {
    const vmid = h.vcpus.running_vmid.peek(v);
    if (vmid !== NONE) out.push({ vcpu: h.vcpus.ids[v].name, vm: h.vcpus.ids[v].vm, vmid });
  }
  return out;
}

const invariants: InvariantDefinition<Host>[] = [
  {
    name: 'one-vmid-per-vm',
    description: 'all running vCPUs of a VM use the same VMID',
    check: (h) => {
      const rs = running(h);
      for (const a of rs) for (const b of rs) if (a.vm === b.vm && a.vmid !== b.vmid) return `VM ${a.vm} runs with two VMIDs: ${a.vcpu} with ${a.vmid}, ${b.vcpu} with ${b.vmid}`;
      return null;
    },
  },
  {
    name: 'running-vmid-current',
    description: "a running vCPU's hgatp holds its VM's current VMID",
    check: (h) => {
      for (const r of running(h)) if (r.vmid !== h.vm_vmid.peek(r.vm)) return `${r.vcpu} runs with VMID ${r.vmid} in hgatp but VM ${r.vm}'s VMID is now ${h.vm_vmid.peek(r.vm)}`;
      return null;
    },
  },
  {
    name: 'no-shared-vmid',
    description: 'no two VMs running at once share a VMID',
    check: (h) => {
      const rs = running(h);
      for (const a of rs) for (const b of rs) if (a.vm < b.vm && a.vmid === b.vmid) return `VM ${a.vm} (${a.vcpu}) and VM ${b.vm} (${b.vcpu}) both run with VMID ${a.vmid}`;
      return null;
    },
  },
  { name: 'tlb-no-vmid-alias', description: "no hart's G-stage TLB holds entries of two VMs under one VMID", check: (h) => h.tlbs.findTagAlias() },
  { name: NO_CROSS_VM_TLB_HIT, description: "a guest access never hits a TLB entry made from another VM's G-stage tables" },
];

export default defineScenario({
  name: 'riscv-vmid',
  title: 'a RISC-V-style VMID allocator: vmid_version, remote HFENCE.GVMA by hart mask, hgatp reloaded on request',
  options: {
    harts: 3,
    vcpusPerVm: [2, 1, 1],
    vmidBits: 2,
    tlbEntries: 8,
    design: 'after-unlock',
    runs: 1,
    entriesPerRun: 2,
    touchesPerEntry: 1,
    migrateChance: 0.1,
    signalChance: 0.02,
    earlyRunChance: 0,
    pagesPerVm: 4,
    lifetimes: 2,
  } as Options,
  optionSpecs: {
    harts: { integer: true, min: 1, max: 8, description: 'harts' },
    vcpusPerVm: { minItems: 1, maxItems: 8, items: { integer: true, min: 1, max: 4 }, description: 'vCPUs of each VM' },
    vmidBits: { integer: true, min: 1, max: 8, description: 'VMID width (at least one VMID per hart)' },
    tlbEntries: { integer: true, min: 1, max: 64, description: 'G-stage TLB entries per hart' },
    design: { choices: ['after-unlock', 'before-version', 'before-version-mb', 'no-recheck'], description: 'how the allocation ends (each design sets it)' },
    runs: { integer: true, min: 1, max: 100, description: 'KVM_RUN ioctls per vCPU thread' },
    entriesPerRun: { integer: true, min: 1, max: 100, description: 'guest entries per KVM_RUN' },
    touchesPerEntry: { integer: true, min: 1, max: 16, description: 'most guest accesses per entry' },
    migrateChance: { min: 0, max: 1, description: 'chance that cond_resched() migrates the thread' },
    signalChance: { min: 0, max: 1, description: 'chance of a pending signal with IRQs off' },
    pagesPerVm: { integer: true, min: 1, max: 64, description: 'guest pages per VM' },
    lifetimes: { integer: true, min: 1, max: 100, description: 'lifetimes of a single-vCPU VM (destroyed and created anew)' },
  },
  checkOptions: (o) => ((1 << o.vmidBits) - 1 < o.harts ? `vmidBits=${o.vmidBits} gives fewer VMIDs than harts: vmid.c would not use VMIDs at all` : null),
  designs: {
    'after-unlock': { description: "vmid.c's order: vmid, then vmid_version, unlock, then KVM_REQ_UPDATE_HGATP to the VM's vCPUs", expect: 'caught', expectInvariants: ['running-vmid-current'] },
    'before-version': {
      description: 'the requests made under vmid_lock, before vmid_version is published',
      expect: 'holds',
      // Under arm64 the last request and the version store may be seen in either order: a vCPU
      // reads the new version, an old request, and enters with the hgatp it loaded before.
      expectUnder: { arm64: 'caught' },
      options: { design: 'before-version' },
    },
    'before-version-mb': { description: 'before-version with smp_wmb() before the version is published and smp_rmb() after it is read', expect: 'holds', options: { design: 'before-version-mb' } },
    'no-recheck': { description: 'mutant: no re-check of the version under vmid_lock', expect: 'caught', options: { design: 'no-recheck' } },
  },
  budget: { strategy: 'pct', depth: 3, iterations: 20_000, timeSeconds: 20, stepLimit: 2000 },
  // verify: two harts, one VM with two vCPUs entering the guest once, nothing left to chance.
  verify: { options: { harts: 2, vcpusPerVm: [2], lifetimes: 1, entriesPerRun: 1, touchesPerEntry: 1, pagesPerVm: 1, migrateChance: 0, signalChance: 0 }, stateCache: true, timeSeconds: 120 },
  host: (layout, d) => riscvHost(layout, d.options),
  init: (h) => {
    h.cpus.init();
    h.vcpus.init();
    h.vmid_version.store(1);
    for (let v = 0; v < h.vcpus.count; v++) h.last_exit_cpu.at(v).store(NONE);
  },
  actors: (h) => [
    ...h.vcpus.ids.map((id, v) => ({
      name: id.name,
      where: () => (h.vcpus.cpu.peek(v) === NONE ? undefined : `hart${h.vcpus.cpu.peek(v)}`),
      lane: 'VMM',
      machine: vcpuRunLoop('riscv-vcpu-run', h, v, h.opts, gstageVmid(h, v)),
    })),
    // Each hart's interrupt context takes the fence IPIs (kicking a running guest out first).
    ...Array.from({ length: h.opts.harts }, (_, c) => ({ name: `hart${c}.irq`, daemon: true, where: () => `hart${c}`, machine: pcpuIrq(h, c, 'hart-irq') })),
  ],
  invariants,
  figures: (h) => ({ rollovers: h.rollovers.peek(), hfenceIpis: h.ipis.sent.peek(0), tlbFills: h.tlbs.counters().fills, localFences: h.tlbs.counters().flushLocal }),
});
