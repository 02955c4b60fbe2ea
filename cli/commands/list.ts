// hyprace list: the catalogue (or the scenarios named: built-in names or scenario files), each
// scenario's designs with their expected verdicts, the invariants checked, and the options.
import { relative } from 'node:path';
import { describeSpec } from '../../actors/engine/index.ts';
import { budgetOf, type OptionSpec } from '../../actors/engine/index.ts';
import { BUILT_IN_INVARIANTS } from '../../actors/engine/index.ts';
import { EXIT } from '../exit.ts';
import { printJson } from '../format.ts';
import { allScenarios, resolveScenario } from '../resolve.ts';

/** A design's expected verdict, and where another memory model expects otherwise ("holds, arm64: caught"). */
function expectText(d: { expect: string; expectUnder?: Record<string, string | undefined> }): string {
  const under = Object.entries(d.expectUnder ?? {}).filter(([, v]) => v && v !== d.expect);
  return [d.expect, ...under.map(([m, v]) => `${m}: ${v}`)].join(', ');
}

export async function listCommand(names: string[], o: { json?: boolean; typecheck?: boolean }): Promise<number> {
  const resolved = names.length ? await Promise.all(names.map((n) => resolveScenario(n, { typecheck: o.typecheck }))) : await allScenarios();
  const scenarios = resolved.map(({ scenario: s, file }) => ({
    ...(file ? { file } : {}),
    name: s.name,
    title: s.title,
    seeds: s.seeds ?? [],
    budget: budgetOf(s),
    designs: Object.entries(s.designs).map(([name, d]) => ({ name, expect: d.expect, ...(d.expectUnder ? { expectUnder: d.expectUnder } : {}), description: d.description })),
    invariants: s.invariants.map((i) => ({ name: i.name, description: i.description, designs: i.designs ?? 'all', checked: i.check ? 'after every step' : 'raised during steps' })),
    options: s.options,
    optionSpecs: s.optionSpecs ?? {},
  }));
  if (o.json) {
    printJson({ scenarios, builtInInvariants: BUILT_IN_INVARIANTS });
    return EXIT.OK;
  }
  for (const s of scenarios) {
    console.log(`${s.name}  ${s.title}${s.seeds.length ? `  (seed ${s.seeds.join(', ')})` : ''}`);
    if (s.file) console.log(`  file: ${relative(process.cwd(), s.file) || s.file}`);
    console.log('  designs:');
    const expectWidth = Math.max(7, ...s.designs.map((d) => expectText(d).length));
    for (const d of s.designs) console.log(`    ${d.name.padEnd(22)} ${expectText(d).padEnd(expectWidth)} ${d.description}`);
    console.log('  invariants:');
    for (const i of s.invariants) console.log(`    ${i.name.padEnd(26)} ${i.description}${i.designs === 'all' ? '' : ` [${(i.designs as string[]).join(', ')}]`}`);
    const options = Object.entries(s.options as Record<string, unknown>);
    if (options.length) {
      console.log('  options (--set key=value; default, then what it takes):');
      const width = Math.max(...options.map(([k]) => k.length));
      for (const [k, v] of options) {
        const spec = (s.optionSpecs as Record<string, OptionSpec>)[k];
        const takes = [describeSpec(spec), spec?.description].filter(Boolean).join(': ');
        console.log(`    ${k.padEnd(width)}  ${JSON.stringify(v)}${takes ? `  ${takes}` : ''}`);
      }
    }
    console.log();
  }
  console.log("built-in invariants (hyprace's own, and those its host code raises):");
  for (const i of BUILT_IN_INVARIANTS) console.log(`    ${i.name.padEnd(26)} ${i.description}`);
  return EXIT.OK;
}
