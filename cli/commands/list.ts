// hyprace list: the catalogue, each scenario's designs with their expected verdicts, and the
// invariants checked.
import { budgetOf } from '../../actors/scenario.ts';
import { DEADLOCK } from '../../actors/run.ts';
import { LOCK_DISCIPLINE } from '../../host/locks.ts';
import { EXIT } from '../exit.ts';
import { printJson } from '../format.ts';
import { allScenarios } from '../resolve.ts';

export const BUILT_IN_INVARIANTS = [
  { name: DEADLOCK, description: 'some unfinished actor can always take a step' },
  { name: LOCK_DISCIPLINE, description: 'no lock is taken twice by its holder or released by anyone but its holder' },
];

export async function listCommand(o: { json?: boolean }): Promise<number> {
  const scenarios = (await allScenarios()).map(({ scenario: s }) => ({
    name: s.name,
    title: s.title,
    seeds: s.seeds ?? [],
    budget: budgetOf(s),
    designs: Object.entries(s.designs).map(([name, d]) => ({ name, expect: d.expect, description: d.description })),
    invariants: s.invariants.map((i) => ({ name: i.name, description: i.description, designs: i.designs ?? 'all', checked: i.check ? 'after every step' : 'raised during steps' })),
    options: s.options,
  }));
  if (o.json) {
    printJson({ scenarios, builtInInvariants: BUILT_IN_INVARIANTS });
    return EXIT.OK;
  }
  for (const s of scenarios) {
    console.log(`${s.name}  ${s.title}${s.seeds.length ? `  (seed ${s.seeds.join(', ')})` : ''}`);
    console.log('  designs:');
    for (const d of s.designs) console.log(`    ${d.name.padEnd(22)} ${d.expect.padEnd(7)} ${d.description}`);
    console.log('  invariants:');
    for (const i of s.invariants) console.log(`    ${i.name.padEnd(26)} ${i.description}${i.designs === 'all' ? '' : ` [${(i.designs as string[]).join(', ')}]`}`);
    console.log();
  }
  console.log('built-in invariants, checked for every design:');
  for (const i of BUILT_IN_INVARIANTS) console.log(`    ${i.name.padEnd(26)} ${i.description}`);
  return EXIT.OK;
}
