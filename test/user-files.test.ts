// Users' own scenario files, found by path from any directory, in every mode; and the errors a
// broken file gets: one line naming the file, exit 2.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dirs.ts';

const BIN = new URL('../bin/hyprace.mjs', import.meta.url).pathname;
const EXAMPLE = new URL('../examples/lost-update.ts', import.meta.url).pathname;

function hyprace(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const SCENARIO_HEAD = `import { defineScenario, defineStepMachine } from 'hyprace';\n`;
const machine = `defineStepMachine<{}>({ id: 't', initial: 'a', context: {}, states: { a: { step: { target: 'b' } }, b: { final: true } } })`;

describe('scenario files', function () {
  this.timeout(180_000);
  const dir = tempDir('hyprace-user-');
  const file = join(dir, 'lost-update.ts');
  copyFileSync(EXAMPLE, file);

  // The first command of each mode type-checks the file as a user's would; the others skip the
  // check (about 5 s of CPU each), which the file has passed by then.
  for (const mode of ['inline', 'threads'] as const) {
    it(`runs a file outside the package, importing 'hyprace', in ${mode} mode`, () => {
      const caught = hyprace('explore', file, '--design', 'unlocked-path', '--mode', mode, '--trace-dir', dir, '--json');
      expect(caught.code, caught.stderr).to.equal(1);
      const v = JSON.parse(caught.stdout).violation;
      expect(v.invariant).to.equal('pages-accounted');
      const replay = hyprace('replay', v.trace, '--json', '--no-typecheck');
      expect(replay.code, replay.stderr).to.equal(1);
      expect(JSON.parse(replay.stdout).violation.invariant).to.equal('pages-accounted');
      const holds = hyprace('explore', file, '--design', 'locked', '--mode', mode, '--iterations', '500', '--json', '--no-typecheck');
      expect(holds.code, holds.stderr).to.equal(0);
      expect(JSON.parse(holds.stdout).iterations).to.equal(500);
    });
  }

  it('runs a file in parallel jobs and checks it against its expected verdicts', () => {
    const jobs = hyprace('explore', file, '--design', 'unlocked-path', '--mode', 'inline', '--jobs', '2', '--trace-dir', dir, '--json', '--no-typecheck');
    expect(jobs.code, jobs.stderr).to.equal(1);
    const check = hyprace('check', file, '--iterations', '500', '--trace-dir', dir, '--json', '--no-typecheck');
    expect(check.code, check.stderr).to.equal(0);
    expect(JSON.parse(check.stdout).results.map((r: { got: string }) => r.got)).to.deep.equal(['holds', 'caught']);
  });

  const broken: [string, string, RegExp][] = [
    ['syntax.ts', 'export default {{', /scenario file has a syntax error: .*syntax\.ts:1:\d+: /],
    ['types.ts', `${SCENARIO_HEAD}const n: number = 'x';\nexport default n;`, /scenario file has a type error: .*types\.ts:2:7: Type 'string' is not assignable to type 'number'/],
    ['noexport.ts', `${SCENARIO_HEAD}export const s = 1;`, /cannot load scenario file .*noexport\.ts: it has no default export; .*\(it exports: s\)/],
    ['notascenario.ts', `export default { name: 'x', title: 'x', options: {}, designs: { a: { description: 'a', expect: 'sometimes' } }, host: () => ({}), actors: () => [], invariants: [] };`, /notascenario\.ts: its scenario design 'a' expects "sometimes"/],
    [
      'throws.ts',
      `${SCENARIO_HEAD}export default defineScenario({ name: 'x', title: 'x', options: {}, designs: { a: { description: 'a', expect: 'holds' } }, host: () => ({}), actors: () => [{ name: 't', machine: ${machine} }], invariants: [{ name: 'boom', description: 'b', check: () => { throw new Error('no such field'); } }] });`,
      /scenario file .*throws\.ts: invariant 'boom' threw before the first step: no such field/,
    ],
    [
      'machine.ts',
      `${SCENARIO_HEAD}import { createMachine } from 'xstate';\nexport default defineScenario({ name: 'x', title: 'x', options: {}, designs: { a: { description: 'a', expect: 'holds' } }, host: () => ({}), actors: () => [{ name: 't', machine: createMachine({ id: 'm', initial: 'a', states: { a: { always: 'b' }, b: {} } }) }], invariants: [] });`,
      // 'always' is a then-branch's choice state, which a step enters and leaves: never the initial state.
      /scenario file .*machine\.ts: machine 'm', state 'a': the initial state cannot be a choice state/,
    ],
  ];
  for (const [name, source, message] of broken) {
    it(`refuses ${name.replace('.ts', '')} with one line naming the file, exit 2`, () => {
      const f = join(dir, name);
      writeFileSync(f, source);
      const r = hyprace('explore', f, '--mode', 'inline', '--iterations', '3');
      expect(r.code, r.stdout + r.stderr).to.equal(2);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(message);
    });
  }
});
