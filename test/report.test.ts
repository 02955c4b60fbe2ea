// The report a person opens, checked in a real browser (the system's Chromium or the one an npm
// package ships, see chromium.ts; driven by playwright-core): it loads with no console errors,
// every coverage graph renders, and a violation's timeline shows the violating step. And the
// Perfetto export of a trace.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findChromium, launchChromium } from './chromium.ts';
import { tempDir } from './temp-dirs.ts';

const BIN = new URL('../bin/hyprace.mjs', import.meta.url).pathname;
const EXAMPLE = new URL('../examples/lost-update.ts', import.meta.url).pathname;

function hyprace(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, NODE_OPTIONS: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('report', function () {
  this.timeout(300_000);
  const dir = tempDir('hyprace-report-');

  before(() => {
    // Bounded by runs, in one job, traces kept as found (shrinking is bounded by time): the same
    // verdicts and traces on any machine. Seed 1 catches v2022-vmid-xchg in run 7266. After
    // sampling, check verifies the holding designs: lost-update/locked is verified in well under a
    // second; vmid-allocator/v2022-vmid is not at 20 s (check's default) nor at 5, so the report
    // shows it sampled either way, and the 15 s more bought nothing this test looks at.
    const r = hyprace('check', 'vmid-allocator', EXAMPLE, '--iterations', '10000', '--jobs', '1', '--no-shrink', '--verify-time', '5', '--trace-dir', join(dir, 'traces'), '--report', dir, '--json');
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).report).to.equal(join(dir, 'index.html'));
  });

  it('loads in Chromium with no console errors, renders every graph, and shows the violating step', async () => {
    const browser = await launchChromium(await findChromium());
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(join(dir, 'index.html')).href);
      expect(errors).to.deep.equal([]);
      expect(await page.locator('table.verdicts tbody tr').count()).to.equal(7);
      const machines = await page.locator('details.machine').count();
      // vmid-allocator: 5 designs of one machine; lost-update: 'locked' has one, 'unlocked-path' two.
      expect(machines).to.equal(8);
      await page.locator('details.machine summary').evaluateAll((els) => els.forEach((e) => (e as unknown as { click(): void }).click()));
      for (let i = 0; i < machines; i++) {
        const graph = page.locator('details.machine').nth(i).locator('.graph svg');
        expect(await graph.count()).to.equal(1);
        const box = await graph.boundingBox();
        expect(box && box.width > 50 && box.height > 50, `graph ${i} is drawn`).to.equal(true);
        expect(await graph.locator('g.node').count()).to.be.greaterThan(2);
      }
      expect(await page.locator('svg.growth').count()).to.equal(2);
      const violating = page.locator('tr.violating');
      expect(await violating.count()).to.equal(5); // xchg, nomark, generation-late, tlb, unlocked-path
      const lines = await page.locator('tr.violation').allInnerTexts();
      expect(lines.some((l) => l.includes('pages-accounted: kvm->nr_memslot_pages is 512 but 1024 pages were added'))).to.equal(true);
      expect(await violating.first().locator('td.step').isVisible()).to.equal(true);
    } finally {
      await browser.close();
    }
  });

  it('exports a trace for Perfetto: one track per actor and per lock, and the violation', () => {
    const out = JSON.parse(hyprace('explore', EXAMPLE, '--design', 'unlocked-path', '--mode', 'inline', '--trace-dir', dir, '--json', '--no-typecheck').stdout);
    const file = join(dir, 'perfetto.json');
    const r = hyprace('replay', out.violation.trace, '--perfetto', file, '--json', '--no-typecheck');
    expect(r.code, r.stderr).to.equal(1);
    const { traceEvents } = JSON.parse(readFileSync(file, 'utf8'));
    const tracks = traceEvents.filter((e: { name: string }) => e.name === 'thread_name').map((e: { args: { name: string } }) => e.args.name);
    expect(tracks).to.deep.equal(['vmm0', 'vmm1', 'lock kvm->slots_lock']);
    const steps = traceEvents.filter((e: { cat?: string }) => e.cat === 'step');
    expect(steps).to.have.length(out.violation.steps);
    expect(traceEvents.find((e: { ph: string }) => e.ph === 'i').name).to.equal('✗ pages-accounted');
    expect(traceEvents.filter((e: { cat?: string }) => e.cat === 'lock').every((e: { name: string }) => e.name === 'held by vmm0')).to.equal(true);
  });
});
