// Seed 003: ID registers stored per vCPU (the patch as posted) or per VM with a per-vCPU view,
// frozen once the VM has run, while VMM threads restore them in parallel (as during live
// migration) and vCPUs start running.
import { defineScenario, hex, type DesignDefinition, type InvariantDefinition } from 'hyprace';
import { ID_REG_SPACE, KvmIdRegs, SET_ONE_REG_CONTRACT, idReg, storageBytes, vcpuFirstRun, vmmRestoreThread, withinLimit, type IdReg, type IdRegDesign, type IdRegStorageKind, type RestoreOp } from 'hyprace/idregs';

interface Options {
  design: IdRegDesign;
  vcpus: number;
  /** vCPUs 0..sveVcpus-1 are initialised with SVE; the others read its registers as 0. */
  sveVcpus: number;
  /** Chance that a KVM_SET_ONE_REG carries a value the contract rejects. */
  invalidChance: number;
}

interface Host {
  opts: Options;
  k: KvmIdRegs;
}

/** The registers a restore writes: the migration stream's values, from a source host with fewer features. */
const RESTORE = ['ID_AA64PFR0_EL1', 'ID_AA64DFR0_EL1', 'ID_AA64ZFR0_EL1', 'sys_reg(3, 0, 0, 4, 3)'].map(idReg);

function sourceValue(reg: IdReg): bigint {
  let v = reg.limit;
  for (let lo = 0n; lo < 64n; lo += 4n) {
    const f = (reg.limit >> lo) & 0xfn;
    if ((reg.writable >> lo) & 0xfn && f > 0n) v = (v & ~(0xfn << lo)) | ((f - 1n) << lo);
  }
  return v;
}

const OPS: RestoreOp[] = RESTORE.map((reg) => ({ reg, value: sourceValue(reg) }));

const storageOf = (d: IdRegDesign): IdRegStorageKind => (d === 'per-vcpu' ? 'per-vcpu' : 'per-vm');

const designs = {
  'per-vcpu': {
    description: "seed 003's patch: 64 ID registers in each vCPU's sys_regs[], saved at its first reset, frozen per vCPU",
    expect: 'caught',
    // A vCPU restored after another has run: an asymmetric VM, seen from the registers or the ioctl.
    expectInvariants: ['symmetric-id-regs', 'frozen-after-run', SET_ONE_REG_CONTRACT],
    options: { design: 'per-vcpu' },
  },
  'per-vm': { description: 'kvm->arch.id_regs[56] with a per-vCPU view, under kvm->arch.config_lock, frozen once the VM has run', expect: 'holds', options: { design: 'per-vm' } },
  'per-vm-nolock': {
    description: 'per-VM storage whose freeze check and write are not under config_lock',
    expect: 'caught',
    // Under arm64 the check itself may read KVM_ARCH_FLAG_HAS_RAN_ONCE stale (no lock, no
    // acquire), and the call succeeds against the contract before any write lands.
    expectInvariants: ['frozen-after-run', SET_ONE_REG_CONTRACT],
    options: { design: 'per-vm-nolock' },
  },
  'per-vm-nolimit': {
    description: "mutant: per-VM storage that forgets the check against the host's sanitised value",
    expect: 'caught',
    expectInvariants: ['within-host-limit', SET_ONE_REG_CONTRACT],
    options: { design: 'per-vm-nolimit' },
  },
} satisfies Record<string, DesignDefinition<Options>>;

const invariants: InvariantDefinition<Host>[] = [
  {
    name: 'symmetric-id-regs',
    description: 'once the VM has run, every initialised vCPU reads the same base value of each ID register (differences only through the per-vCPU view)',
    check: ({ k, opts }) => {
      if (!k.vmHasRun.peek(0)) return null;
      for (const reg of ID_REG_SPACE) {
        if (reg.crm === 0) continue;
        for (let a = 0; a < opts.vcpus; a++) {
          for (let b = a + 1; b < opts.vcpus; b++) {
            if (!k.isInitialised(a) || !k.isInitialised(b)) continue;
            const mask = ~(k.viewMask(a, reg) | k.viewMask(b, reg));
            const va = k.storage.peek(a, reg);
            const vb = k.storage.peek(b, reg);
            if ((va & mask) !== (vb & mask)) return `the VM has run, and vcpu${a} and vcpu${b} have different ${reg.name}: ${hex(va)} and ${hex(vb)}`;
          }
        }
      }
      return null;
    },
  },
  {
    name: 'frozen-after-run',
    description: 'no ID register value changes after the VM has run',
    check: ({ k }) => {
      if (!k.vmHasRun.peek(0)) return null;
      const locations = k.storage.locations();
      const initialised = k.initialisedAtFirstRun.peek(0);
      for (let i = 0; i < locations.length; i++) {
        const { vcpu, reg } = locations[i];
        // A vCPU created after the VM first ran gets its values then; symmetric-id-regs covers it.
        if (vcpu >= 0 && !(initialised & (1 << vcpu))) continue;
        const now = k.storage.peek(Math.max(0, vcpu), reg);
        const then = k.atFirstRun.peek(i);
        if (now !== then) return `${vcpu < 0 ? 'kvm->arch.id_regs' : `vcpu${vcpu}'s`} ${reg.name} changed after the VM had run: ${hex(then)} -> ${hex(now)}`;
      }
      return null;
    },
  },
  {
    name: 'within-host-limit',
    description: "no stored ID register has a field above the host's sanitised value, and RAZ registers stay 0",
    check: ({ k }) => {
      for (const { vcpu, reg } of k.storage.locations()) {
        const v = k.storage.peek(Math.max(0, vcpu), reg);
        if (reg.raz ? v !== 0n : !withinLimit(v, reg.limit)) return `${reg.name} holds ${hex(v)}, above the host's ${hex(reg.limit)}`;
      }
      return null;
    },
  },
  {
    name: SET_ONE_REG_CONTRACT,
    description: 'KVM_SET_ONE_REG returns what the contract says: same value after run 0, different -EBUSY; before, above-limit, changed non-writable or non-zero RAZ -EINVAL',
  },
];

const bytesMemo = new Map<string, number>();
function bytes(kind: IdRegStorageKind, vcpus: number): number {
  const key = `${kind}/${vcpus}`;
  if (!bytesMemo.has(key)) bytesMemo.set(key, storageBytes(kind, vcpus));
  return bytesMemo.get(key)!;
}

export default defineScenario({
  name: 'idregs',
  title: 'ID registers per vCPU or per VM, restored in parallel while vCPUs start to run',
  seeds: ['003'],
  options: { design: 'per-vm', vcpus: 2, sveVcpus: 1, invalidChance: 0.15 } as Options,
  optionSpecs: {
    design: { choices: ['per-vcpu', 'per-vm', 'per-vm-nolock', 'per-vm-nolimit'], description: 'where the registers live and how writes are checked (each design sets it)' },
    vcpus: { integer: true, min: 1, max: 16, description: 'vCPUs, each with a VMM restore thread and a vCPU thread' },
    sveVcpus: { integer: true, min: 0, max: 16, description: 'vCPUs 0..n-1 have SVE (at most vcpus)' },
    invalidChance: { min: 0, max: 1, description: 'chance a KVM_SET_ONE_REG carries a value the contract rejects' },
  },
  checkOptions: (o) => (o.sveVcpus > o.vcpus ? `sveVcpus=${o.sveVcpus} is more than vcpus=${o.vcpus}` : null),
  designs,
  budget: { strategy: 'random', depth: 3, iterations: 100_000, timeSeconds: 10, stepLimit: 500 },
  host: (layout, d) => ({ opts: d.options, k: new KvmIdRegs(layout, storageOf(d.options.design), d.options.vcpus) }),
  init: ({ k }, d) => {
    k.init();
    // kvm_init_id_regs(): the VM's registers start at the host's sanitised values.
    if (storageOf(d.options.design) === 'per-vm') for (const reg of ID_REG_SPACE) if (reg.crm > 0) k.storage.store(-1, reg, reg.limit);
  },
  actors: ({ k, opts }) =>
    Array.from({ length: opts.vcpus }, (_, v) => [
      { name: `vmm${v}`, machine: vmmRestoreThread(k, v, opts.design, OPS, v < opts.sveVcpus, opts.invalidChance) },
      { name: `vcpu${v}`, machine: vcpuFirstRun(k, v, opts.design) },
    ]).flat(),
  invariants,
  figures: ({ k, opts }) => {
    const kind = storageOf(opts.design);
    return {
      setAccepted: k.results.peek(0),
      setEINVAL: k.results.peek(1),
      setEBUSY: k.results.peek(2),
      configLockAcquisitions: k.config_lock.acquisitions,
      idRegBytes: bytes(kind, opts.vcpus),
      idRegBytes1Vcpu: bytes(kind, 1),
      idRegBytes8Vcpus: bytes(kind, 8),
      idRegBytes64Vcpus: bytes(kind, 64),
      idRegBytes512Vcpus: bytes(kind, 512),
    };
  },
});
