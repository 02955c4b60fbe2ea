// ID registers: the KVM_SET_ONE_REG contract case by case, each invariant failing on the design
// with its bug and holding on per-vm, and the storage figure measured from the layout allocated.
import { expect } from 'chai';
import { Layout } from '../host/layout.ts';
import { EBUSY, EINVAL, setIdRegContract } from '../host/idregs/set-id-reg.ts';
import { field, idReg } from '../host/idregs/space.ts';
import { idRegStorage, storageBytes } from '../host/idregs/storage.ts';
import idregs from '../scenarios/idregs.ts';
import { exploreInline } from './helpers.ts';

describe('ID registers', function () {
  this.timeout(120_000);
  const dfr0 = idReg('ID_AA64DFR0_EL1');
  const raz = idReg('sys_reg(3, 0, 0, 4, 3)');
  const pmuVer = field(8);
  const lowered = (dfr0.limit & ~pmuVer) | (4n << 8n);

  describe('the KVM_SET_ONE_REG contract', () => {
    it('accepts a lower value of a writable field before the VM has run', () => {
      expect(setIdRegContract(dfr0, dfr0.limit, lowered, false)).to.equal(0);
    });
    it('rejects a field above what the host supports with -EINVAL', () => {
      expect(setIdRegContract(dfr0, dfr0.limit, (dfr0.limit & ~pmuVer) | (7n << 8n), false)).to.equal(-EINVAL);
    });
    it('rejects a changed field userspace may not write with -EINVAL', () => {
      expect(setIdRegContract(dfr0, dfr0.limit, dfr0.limit ^ (1n << 12n), false)).to.equal(-EINVAL);
    });
    it('rejects a non-zero value in a RAZ register with -EINVAL, and accepts 0', () => {
      expect(setIdRegContract(raz, 0n, 1n, false)).to.equal(-EINVAL);
      expect(setIdRegContract(raz, 0n, 0n, false)).to.equal(0);
    });
    it('after the VM has run, accepts the same value and answers -EBUSY to a different one, even a valid one', () => {
      expect(setIdRegContract(dfr0, lowered, lowered, true)).to.equal(0);
      expect(setIdRegContract(dfr0, dfr0.limit, lowered, true)).to.equal(-EBUSY);
    });
    it('is what the per-vm design returns, over many runs with mostly invalid values', async () => {
      const r = await exploreInline(idregs, 'per-vm', { strategy: 'random', iterations: 3000, options: { invalidChance: 0.7 } });
      expect(r.violation).to.equal(null);
      expect(r.figures.setEINVAL).to.be.greaterThan(100);
      expect(r.figures.setEBUSY).to.be.greaterThan(100);
      expect(r.figures.setAccepted).to.be.greaterThan(100);
    });
  });

  const caught: [string, string, RegExp][] = [
    ['symmetric-id-regs', 'per-vcpu', /the VM has run, and vcpu0 and vcpu1 have different ID_AA64\w+_EL1: 0x[0-9a-f]+ and 0x[0-9a-f]+/],
    ['frozen-after-run', 'per-vm-nolock', /kvm->arch\.id_regs ID_AA64\w+_EL1 changed after the VM had run: 0x[0-9a-f]+ -> 0x[0-9a-f]+/],
    ['within-host-limit', 'per-vm-nolimit', /ID_AA64\w+_EL1 holds 0x[0-9a-f]+, above the host's 0x[0-9a-f]+/],
    ['set-one-reg-contract', 'per-vm-nolimit', /KVM_SET_ONE_REG\(vcpu\d, ID_AA64\w+_EL1, 0x[0-9a-f]+\) returned 0, the contract says -22/],
  ];
  for (const [invariant, design, message] of caught) {
    it(`${invariant} fails on ${design}`, async () => {
      const r = await exploreInline(idregs, design, { only: new Set([invariant]), strategy: 'random', iterations: 20_000 });
      expect(r.violation?.invariant).to.equal(invariant);
      expect(r.violation!.message).to.match(message);
    });
  }

  it('per-vm holds every invariant, with vCPUs running while the restore goes on', async () => {
    for (const strategy of ['random', 'pct'] as const) {
      const r = await exploreInline(idregs, 'per-vm', { strategy, depth: 3, iterations: 3000 });
      expect(r.violation, strategy).to.equal(null);
      expect(r.figures.setEBUSY, 'some restores land after the first run').to.be.greaterThan(0);
    }
  });

  it('measures storage from the layout allocated: 448 bytes per VM, or 512 per vCPU', () => {
    for (const vcpus of [1, 8, 64, 512]) {
      const layout = new Layout();
      const storage = idRegStorage(layout, 'per-vcpu', vcpus);
      expect(layout.byteLength).to.equal(storage.regions.reduce((n, r) => n + r.byteLength, 0));
      expect(storageBytes('per-vcpu', vcpus)).to.equal(vcpus * 64 * 8);
      expect(storageBytes('per-vm', vcpus)).to.equal(448);
    }
  });
});
