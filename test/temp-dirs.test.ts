// `npm test` leaves no temporary folder behind: a child mocha, with this project's root hooks,
// runs a suite that makes some in a temp folder of its own, which holds none of them afterwards.
// Without the root hooks the same run leaves them there, so the check can see a leak.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tempDir } from './temp-dirs.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const MOCHA = new URL('../node_modules/mocha/bin/mocha.js', import.meta.url).pathname;
const CONFIG = JSON.parse(readFileSync(new URL('../.mocharc.json', import.meta.url), 'utf8')) as { require: string[] };

/** Runs the fixture suite with TMPDIR set to a fresh folder; returns the folders it made and what that folder holds after. */
function runFixture(requires: string[]): { made: string[]; left: string[]; tmp: string } {
  const tmp = tempDir('hyprace-child-tmp-');
  const args = [MOCHA, '--no-config', '--node-option', 'import=tsx', ...requires.flatMap((r) => ['--require', r]), 'test/fixtures/temp-dirs.spec.ts'];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, TMPDIR: tmp, NODE_OPTIONS: '' } });
  expect(r.status, r.stdout + r.stderr).to.equal(0);
  const made = [...r.stdout.matchAll(/^ *made (.+)$/gm)].map((m) => m[1]);
  return { made, left: readdirSync(tmp).filter((f) => f.startsWith('hyprace-')), tmp };
}

describe('temporary folders', function () {
  this.timeout(240_000);

  it('are all removed when the test run ends', () => {
    const { made, left, tmp } = runFixture(CONFIG.require);
    expect(made).to.have.length(2);
    for (const dir of made) {
      expect(dir.startsWith(tmp + '/'), dir).to.equal(true);
      expect(existsSync(dir), dir).to.equal(false);
    }
    expect(left).to.deep.equal([]);
  });

  it('would be left behind without the root hooks (the check above sees a leak)', () => {
    const { made, left } = runFixture([]);
    expect(made).to.have.length(2);
    expect(made.every((dir) => existsSync(dir))).to.equal(true);
    expect(left).to.have.length(1);
  });
});
