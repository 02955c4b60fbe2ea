// Refactoring the kernel building blocks must not change what a built-in design does: with a
// fixed seed, every design of the built-in scenarios (litmus aside: test/litmus.test.ts checks its
// outcome sets exhaustively) takes the same steps, covers the same states and transitions and
// reaches the same verdict, at the same step, as recorded in test/fixtures/fingerprints.json.
// A deliberate change of behaviour regenerates that file from the command below (scenario,
// design, then got, invariant, schedules, steps and covered states and transitions of each result).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { hyprace } from './cli-run.ts';
import { tempDir } from './temp-dirs.ts';

const SCENARIOS = ['vmid-rollover', 'vmid-allocator', 'stage2-coalesce', 'spe-pinning', 'spe-finalize', 'idregs', 'locktorture'];

interface Result {
  scenario: string;
  design: string;
  got: string;
  invariant: string | null;
  schedules: number;
  steps: number;
  coverage: { states: { covered: number }; transitions: { covered: number } };
}

describe('fixed-seed fingerprints of every built-in design', function () {
  this.timeout(600_000);

  it('are those recorded: same steps, coverage and verdict for seed 1', () => {
    const expected = JSON.parse(readFileSync(new URL('fixtures/fingerprints.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const r = hyprace(['check', ...SCENARIOS, '--iterations', '3', '--jobs', '1', '--mode', 'inline', '--no-verify', '--no-shrink', '--json', '--trace-dir', tempDir()]);
    expect(r.code, r.stderr).to.be.oneOf([0, 1]);
    const got = Object.fromEntries(
      (JSON.parse(r.stdout).results as Result[]).map((x) => [
        `${x.scenario}/${x.design}`,
        { got: x.got, invariant: x.invariant, schedules: x.schedules, steps: x.steps, statesCovered: x.coverage.states.covered, transitionsCovered: x.coverage.transitions.covered },
      ]),
    );
    expect(Object.keys(got).length).to.be.greaterThan(30);
    expect(got).to.deep.equal(expected);
  });
});
