// The architecture-neutral parts, through the public API: CPUs with the registers a scenario
// declares, TLBs keyed by (tag, space, page) invalidated by all, tag or pages on every CPU or one,
// and IPIs carrying the scenario's own functions to one CPU, a mask, the others or all.
import { expect } from 'chai';
import { IpiProtocolError, Ipis, Layout, PhysCpus, Tlbs, execution, type TlbEntry } from 'hyprace';
import { ViolationBox, setViolationBox } from '../host/violations.ts';

const entry = (tag: number, page: number, o: Partial<TlbEntry> = {}): TlbEntry => ({ tag, page, shift: 0, out: page, perms: 3, owner: tag, ghost: 0, ...o });

function machine(cpus = 3) {
  const layout = new Layout();
  const harts = new PhysCpus(layout, cpus, { registers: ['hgatp', 'vsatp'], name: (h) => `hart${h}`, plural: 'harts' });
  const tlbs = new Tlbs(layout, harts, 4, { tag: 'VMID', address: 'GPA', owner: 'VM', space: 'ASID' });
  const ran: string[] = [];
  const ipis = new Ipis(layout, harts, { fence: (cpu, from) => void ran.push(`fence on ${cpu} from ${from}`), nop: () => undefined });
  setViolationBox(new ViolationBox(layout));
  layout.bind();
  harts.init();
  return { harts, tlbs, ipis, ran };
}

describe('architecture-neutral primitives', () => {
  it('PhysCpus keeps the registers a scenario declares, under its names, and refuses others', () => {
    const { harts } = machine();
    harts.reg('hgatp').at(2).store(7);
    expect(harts.reg('hgatp').peek(2)).to.equal(7);
    expect(harts.reg('vsatp').peek(2)).to.equal(0);
    expect(harts.reg('hgatp').at(1).name).to.equal('hart1.hgatp');
    expect(harts.name(0)).to.equal('hart0');
    expect(() => (harts as PhysCpus).reg('VTTBR_EL2')).to.throw(/no per-CPU register 'VTTBR_EL2'.*hgatp, vsatp/);
  });

  it('Tlbs look up by tag, address space and page, and a block covers its pages', () => {
    const { tlbs } = machine();
    tlbs.fill(0, entry(1, 8));
    tlbs.fill(0, entry(1, 8, { space: 2, out: 99 }));
    tlbs.fill(0, entry(2, 512, { shift: 9 }));
    expect(tlbs.entry(0, tlbs.lookup(0, 1, 8)).out).to.equal(8);
    expect(tlbs.entry(0, tlbs.lookup(0, 1, 8, 2)).out).to.equal(99);
    expect(tlbs.lookup(0, 1, 9)).to.equal(-1);
    expect(tlbs.lookup(1, 1, 8), 'another CPU').to.equal(-1);
    expect(tlbs.lookup(0, 2, 700), 'inside the 2 MiB block').to.be.at.least(0);
    expect(tlbs.findConflict()).to.equal(null);
    tlbs.fill(0, entry(2, 600));
    expect(tlbs.findConflict()).to.equal("hart0's TLB holds a 2 MiB block and a 4 KiB page for GPA page 600 under VMID 2: a TLB conflict");
  });

  it('Tlbs invalidate everything, a tag, a space or pages, on every CPU or on one', () => {
    const { tlbs } = machine();
    const fillAll = () => {
      for (let c = 0; c < 3; c++) {
        tlbs.fill(c, entry(1, 8));
        tlbs.fill(c, entry(1, 9, { space: 1 }));
        tlbs.fill(c, entry(2, 8));
      }
    };
    const valid = () => [0, 1, 2].map((c) => tlbs.validEntries(c).length);
    fillAll();
    expect(tlbs.invalidate({ tag: 1, pages: [8, 1] }, 1, 'local by page')).to.equal(1);
    expect(valid()).to.deep.equal([3, 2, 3]);
    expect(tlbs.invalidate({ tag: 1, space: 1 }, 'broadcast', 'by space')).to.equal(3);
    expect(valid()).to.deep.equal([2, 1, 2]);
    expect(tlbs.invalidate({ tag: 2 }, 2, 'local by tag')).to.equal(1);
    expect(valid()).to.deep.equal([2, 1, 1]);
    expect(tlbs.invalidate('all', 0, 'local all')).to.equal(2);
    expect(valid()).to.deep.equal([0, 1, 1]);
    expect(tlbs.invalidate('all', 'broadcast', 'all')).to.equal(2);
    expect(valid()).to.deep.equal([0, 0, 0]);
    expect(tlbs.counters()).to.include({ flushAll: 1, flushTag: 1, flushPages: 0, flushLocal: 3 });
  });

  it('Tlbs name an alias in the scenario words', () => {
    const { tlbs } = machine();
    tlbs.fill(1, entry(3, 0, { owner: 0 }));
    tlbs.fill(1, entry(3, 1, { owner: 2 }));
    expect(tlbs.findTagAlias()).to.equal("hart1's TLB holds entries of VM 0 and VM 2 under VMID 3");
  });

  it('Ipis reach one CPU, a mask, the others or all, and the sender runs its own share at once', () => {
    const { ipis, ran } = machine();
    execution.actor = 0;
    const takeAll = () => [0, 1, 2].forEach((c) => ipis.deliverable(c) && ipis.take(c));
    expect(ipis.send(0, 'fence', 'others')).to.equal(2);
    expect(ran).to.deep.equal([]);
    expect(ipis.acksFor(0).ready()).to.equal(false);
    takeAll();
    expect(ran).to.deep.equal(['fence on 1 from 0', 'fence on 2 from 0']);
    expect(ipis.acksFor(0).ready()).to.equal(true);
    ran.length = 0;
    expect(ipis.send(1, 'fence', 'all')).to.equal(2);
    expect(ran, 'on_each_cpu: the sender first, at once').to.deep.equal(['fence on 1 from 1']);
    takeAll();
    expect(ran).to.deep.equal(['fence on 1 from 1', 'fence on 0 from 1', 'fence on 2 from 1']);
    ran.length = 0;
    expect(ipis.send(2, 'fence', [2, 0])).to.equal(1);
    expect(ran).to.deep.equal(['fence on 2 from 2']);
    takeAll();
    expect(ipis.send(0, 'fence', 0), 'a call to itself only').to.equal(0);
    expect(ipis.acksFor(0).ready()).to.equal(true);
    execution.actor = -1;
  });

  it('Ipis refuse a new call from a CPU whose last one is still outstanding (csd_lock), and unknown targets', () => {
    const { ipis } = machine();
    ipis.send(0, 'nop', 1);
    expect(() => ipis.send(0, 'fence', 'others')).to.throw(IpiProtocolError, /hart0 calls fence while its previous call, nop, still waits for 1 of its targets: wait for ipis.acksFor\(0\) first/);
    ipis.take(1);
    expect(() => ipis.send(0, 'fence', 'others')).to.not.throw();
    expect(() => ipis.send(1, 'fence', [5])).to.throw(IpiProtocolError, /target 5 is not a CPU/);
  });
});
