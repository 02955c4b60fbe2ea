// Every option of every built-in scenario declares what it takes, and every declared bound and
// choice runs: a range that lets through a value the model cannot run would be a lie.
import { expect } from 'chai';
import { explore } from '../actors/explore/index.ts';
import { InlineBackend } from '../actors/engine/index.ts';
import { optionsProblem } from '../actors/engine/index.ts';
import { budgetOf, designContext, type AnyScenario, type OptionSpec } from '../actors/engine/index.ts';
import { buildWorld } from '../actors/engine/index.ts';
import { CATALOGUE } from '../scenarios/index.ts';
import idregs from '../scenarios/idregs.ts';
import litmus from '../scenarios/litmus.ts';
import locktorture from '../scenarios/locktorture.ts';
import speFinalize from '../scenarios/spe-finalize.ts';
import spePinning from '../scenarios/spe-pinning.ts';
import stage2 from '../scenarios/stage2-coalesce.ts';
import allocator from '../scenarios/vmid-allocator.ts';
import rollover from '../scenarios/vmid-rollover.ts';

// Imported here rather than loaded from the catalogue, so that they share this process's host modules.
const SCENARIOS: AnyScenario[] = [rollover, allocator, idregs, stage2, speFinalize, spePinning, locktorture, litmus];

/** The values at the edges of a spec: its choices, or its bounds (arrays: shortest and longest, with the extreme elements). */
function edges(spec: OptionSpec): unknown[] {
  if (spec.choices) return [...spec.choices];
  if (spec.items) {
    const e = edges(spec.items);
    return [Array(spec.minItems ?? 1).fill(e[0]), Array(spec.maxItems ?? 1).fill(e[0]), Array(spec.minItems ?? 1).fill(e[e.length - 1])];
  }
  return [spec.min, spec.max].filter((x) => x !== undefined);
}

describe('scenario options', function () {
  this.timeout(600_000);

  it('covers the whole catalogue', () => {
    expect(SCENARIOS.map((s) => s.name).sort()).to.deep.equal(Object.keys(CATALOGUE).sort());
  });

  for (const s of SCENARIOS) {
    const name = s.name;
    it(`${name}: every option that is not a boolean declares its range or choices, and every edge runs`, async () => {
      const specs = (s.optionSpecs ?? {}) as Record<string, OptionSpec>;
      for (const [key, value] of Object.entries(s.options)) if (typeof value !== 'boolean') expect(specs[key], `${name}: option ${key}`).to.not.equal(undefined);
      const design = Object.keys(s.designs)[0];
      const budget = budgetOf(s);
      let ran = 0;
      for (const [key, spec] of Object.entries(specs)) {
        for (const value of edges(spec)) {
          const options = designContext(s, design, { [key]: value }).options as Record<string, unknown>;
          // An edge may conflict with another option's default (checkOptions says so): that is refused, not run.
          if (optionsProblem(s, options)) continue;
          const world = buildWorld(s, design, options);
          const r = await explore(new InlineBackend(world, false), { strategy: budget.strategy, depth: budget.depth, iterations: 2, timeSeconds: 3600, seed: 1, stepLimit: budget.stepLimit });
          expect(r.iterations, `${name} ${key}=${JSON.stringify(value)}`).to.be.at.least(1);
          ran++;
        }
      }
      expect(ran).to.be.greaterThan(Object.keys(specs).length);
    });
  }
});
