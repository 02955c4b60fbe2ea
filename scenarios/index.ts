// The built-in catalogue: each scenario is its own module, loaded by URL in the main thread and
// in workers alike. A new scenario file becomes part of hyprace by being listed here.
import type { ScenarioRef } from '../actors/engine/index.ts';

const here = (file: string): ScenarioRef => ({ module: new URL(file, import.meta.url).href });

export const CATALOGUE: Readonly<Record<string, ScenarioRef>> = {
  'vmid-rollover': here('./vmid-rollover.ts'),
  'vmid-allocator': here('./vmid-allocator.ts'),
  idregs: here('./idregs.ts'),
  'stage2-coalesce': here('./stage2-coalesce.ts'),
  'spe-finalize': here('./spe-finalize.ts'),
  'spe-pinning': here('./spe-pinning.ts'),
  locktorture: here('./locktorture.ts'),
  litmus: here('./litmus.ts'),
};
