// Shared test plumbing: explore a design inline or in threads through the public pieces.
import { pathToFileURL } from 'node:url';
import { explore, type ExploreOptions, type ExploreResult } from '../actors/explore/index.ts';
import { InlineBackend } from '../actors/engine/index.ts';
import type { AnyScenario } from '../actors/engine/index.ts';
import { buildWorld } from '../actors/engine/index.ts';

export const FIXTURE_REF = { module: pathToFileURL(new URL('./fixtures/locks-scenario.ts', import.meta.url).pathname).href };

export async function exploreInline(
  scenario: AnyScenario,
  design: string,
  o: Partial<ExploreOptions> & { options?: Record<string, unknown> } = {},
): Promise<ExploreResult> {
  const { options, ...rest } = o;
  const world = buildWorld(scenario, design, options);
  return explore(new InlineBackend(world), {
    strategy: 'pct',
    depth: 3,
    iterations: 1_000_000,
    // Tests are bounded by run counts, so they mean the same on a slow machine.
    timeSeconds: 3600,
    seed: 1,
    stepLimit: 5000,
    ...rest,
  });
}
