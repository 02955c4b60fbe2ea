// The hyprace command. Every failure ends in one line on stderr and a distinct exit code.
import { Command, CommanderError, Option } from 'commander';
import { ActorFailure } from '../actors/engine/index.ts';
import { MachineDefinitionError } from '../actors/engine/index.ts';
import { ChoiceError } from '../actors/engine/index.ts';
import { NondeterministicDesign, UnrecordedAccess } from '../actors/verify/index.ts';
import { TOOL_VERSION } from '../actors/trace/index.ts';
import { STRATEGIES } from '../actors/engine/index.ts';
import { checkCommand } from './commands/check.ts';
import { compareCommand } from './commands/compare.ts';
import { coverageCommand } from './commands/coverage.ts';
import { exploreCommand } from './commands/explore.ts';
import { listCommand } from './commands/list.ts';
import { mergeCommand } from './commands/merge.ts';
import { stressCommand } from './commands/stress.ts';
import { verifyCommand } from './commands/verify.ts';
import { Nondeterminism, replayCommand } from './commands/replay.ts';
import { EXIT, UsageError } from './exit.ts';

const collect = (v: string, acc: string[] = []) => [...acc, v];

function program(run: (p: Promise<number>) => void): Command {
  const p = new Command('hyprace')
    .description('KVM/arm64 hypervisor designs run as concurrent actors: races found, replayed exactly, and shown.')
    .version(TOOL_VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError(false)
    .addHelpText('after', '\nExit codes: 0 as expected (no violation, verified), 1 violation found or verdict not as expected,\n2 bad input, 3 internal failure (a worker that crashed or hung, a step that never returns or\ncalls process.exit(), replay divergence, a schedule that could not be shrunk or a trace that\ncould not be written), 4 verify incomplete. A trace this hyprace cannot replay is bad input.');

  p.command('list')
    .description('the scenarios (all built-in ones, or those named), their designs with expected verdicts, invariants and options')
    .argument('[scenario...]', 'built-in scenario names or paths of scenario files (default: the whole catalogue)')
    .option('--json', 'print one JSON object')
    .option('--no-typecheck', 'list a scenario file without type-checking it first')
    .action((names, o) => run(listCommand(names, o)));

  p.command('explore')
    .description('search one design of a scenario for an invariant violation; writes the failing schedule as a trace')
    .argument('<scenario>', 'a built-in scenario name (see `hyprace list`) or the path of a scenario file')
    .option('--design <name>', "the design to run (default: the scenario's first)")
    .addOption(new Option('--strategy <name>', "scheduling strategy (default: the scenario's)").choices(STRATEGIES as string[]))
    .option('--depth <k>', 'PCT bug depth: priority change points + 1')
    .option('--iterations <n>', 'runs to try (default: the scenario budget; unbounded with only --time)')
    .option('--time <seconds>', 'time budget (default: the scenario budget; unbounded with only --iterations)')
    .option('--seed <s>', 'seed of all scheduling and actor choices', '1')
    .option('--mode <mode>', 'threads: one worker thread per actor (default); inline: all actors in one thread (the default, and the only mode, under --memory arm64)')
    .option('--memory <model>', 'sc (sequentially consistent, default) or arm64 (stores and loads reorder unless barriers say otherwise; inline only)')
    .option('--promises <n>', 'arm64: promise steps per actor and run (stores made visible early; default 1)')
    .option('--jobs <j>', 'run independent runs in j parallel workers (inline mode)')
    .option('--step-limit <n>', 'steps after which a run is cut short (reported as reaching the limit)')
    .option('--trace-dir <dir>', 'where a violation trace is written', 'hyprace-traces')
    .option('--invariant <name>', 'check only this invariant (repeatable)', collect)
    .option('--set <key=value>', 'override a scenario option, e.g. --set cpus=3 (repeatable)', collect)
    .option('--no-shrink', 'write the violating schedule as found, without shrinking it')
    .option('--shrink-time <seconds>', 'how long to shrink a violating schedule before writing its trace', '5')
    .option('--step-timeout <seconds>', 'a step (or the work between two steps) that takes longer is a hang: exit 3 naming it (default 10)')
    .option('--shard <I/N>', 'explore only shard I of N (1-based) of the work; default: from JOB_COMPLETION_INDEX (0-based) and JOB_COMPLETIONS when set')
    .option('--out <dir>', "write this shard's result as one JSON file into DIR, for hyprace merge (exit 0 once written, whatever the verdict)")
    .option('--json', 'print one JSON object: {scenario, design, strategy, mode, seed, iterations, steps, elapsedMs, violation}')
    .option('--no-typecheck', 'run a scenario file without type-checking it first')
    .action((scenario, o) => run(exploreCommand(scenario, o)));

  p.command('verify')
    .description('explore every interleaving and every random choice of a bounded configuration, with partial-order reduction: verified, a violation, or incomplete')
    .argument('<scenario>', 'a built-in scenario name (see `hyprace list`) or the path of a scenario file')
    .option('--design <name>', "a design to verify (repeatable; default: the scenario's first)", collect)
    .option('--preemptions <k>', "explore preemption bounds 0..k (iterative context bounding), or 'unbounded' for no bound at once (default: 0, 1, 2, ... until a bound cuts nothing, or the budget ends)")
    .option('--max-executions <n>', 'stop (incomplete) after this many executions')
    .option('--time <seconds>', "stop (incomplete) after this long (default: the scenario's verify budget, else 60)")
    .option('--jobs <j>', 'split the exploration tree over j worker threads')
    .option('--state-cache', 'explore a state reached twice only once (default: as the scenario says)')
    .option('--no-state-cache', 'no state cache, even if the scenario asks for one')
    .option('--no-reduction', 'enumerate every schedule without partial-order reduction (a cross-check: slow)')
    .option('--memory <model>', 'sc (sequentially consistent, default) or arm64 (stores and loads reorder unless barriers say otherwise)')
    .option('--promises <n>', 'arm64: promise steps per actor and execution (stores made visible early; default 1)')
    .option('--step-limit <n>', 'steps after which an execution is cut (reported)')
    .option('--invariant <name>', 'check only this invariant (repeatable)', collect)
    .option('--set <key=value>', "override a scenario option, on top of the scenario's verify configuration (repeatable)", collect)
    .option('--trace-dir <dir>', 'where a violation trace is written', 'hyprace-traces')
    .option('--no-shrink', 'write the violating schedule as found, without shrinking it')
    .option('--shrink-time <seconds>', 'how long to shrink a violating schedule before writing its trace', '5')
    .option('--shard <I/N>', 'explore only shard I of N (1-based) of the subtrees; default: from JOB_COMPLETION_INDEX (0-based) and JOB_COMPLETIONS when set')
    .option('--out <dir>', "write this shard's result as one JSON file into DIR, for hyprace merge (exit 0 once written, whatever the verdict)")
    .option('--json', 'print one JSON object per design (one line each): {scenario, design, verdict, executions, steps, states?, preemptionBound, elapsedMs, violation, ...}')
    .option('--no-typecheck', 'run a scenario file without type-checking it first')
    .addHelpText('after', '\nExit codes: 0 verified, 1 violation found, 2 bad input, 3 internal failure, 4 incomplete (budget spent before the bound was explored).')
    .action((scenario, o) => run(verifyCommand(scenario, o)));

  p.command('replay')
    .description('re-execute a trace step for step, check each step lands in its recorded state, and show the timeline')
    .argument('<trace>', 'a trace file written by explore or check')
    .option('--mode <mode>', 'inline or threads', 'inline')
    .option('--tail <n>', 'show only the last n steps of the timeline')
    .option('--touches', 'show what each step read and wrote')
    .option('--invariant <name>', "check only this invariant (repeatable): narrows the trace's own filter", collect)
    .option('--perfetto <file>', 'also write the trace as Chrome trace-event JSON, to open in Perfetto UI (one track per actor and per lock)')
    .option('--json', 'print one JSON object instead of the timeline')
    .option('--no-typecheck', 'run a scenario file without type-checking it first')
    .action((file, o) => run(replayCommand(file, o)));

  p.command('check')
    .description('run every design of each scenario within its budget and compare with its expected verdict')
    .argument('[scenario...]', 'scenarios to check (default: the whole catalogue)')
    .option('--mode <mode>', 'inline (default here: more schedules per second) or threads', 'inline')
    .option('--memory <model>', 'sc (sequentially consistent, default) or arm64 (stores and loads reorder unless barriers say otherwise; inline only)')
    .option('--promises <n>', 'arm64: promise steps per actor and run (stores made visible early; default 1)')
    .option('--jobs <j>', 'parallel workers per design in inline mode (default: 2)')
    .option('--iterations <n>', "runs per design (default: each scenario's budget; unbounded with only --time)")
    .option('--time <seconds>', "time budget per design (default: each scenario's budget; unbounded with only --iterations)")
    .option('--seed <s>', 'seed', '1')
    .option('--trace-dir <dir>', 'where violation traces are written', 'hyprace-traces')
    .option('--no-shrink', 'write violating schedules as found, without shrinking them')
    .option('--report <dir>', 'write an HTML report (verdicts, coverage graphs, growth, violation timelines) to DIR/index.html')
    .option('--step-timeout <seconds>', 'a step (or the work between two steps) that takes longer is a hang: exit 3 naming it (default 10)')
    .option('--no-verify', 'only sample: no exhaustive search after sampling found nothing')
    .option('--verify-time <seconds>', "exhaustive search per design after sampling found nothing (default: the scenario's verify budget, at most 20)")
    .option('--shard <I/N>', 'explore only shard I of N (1-based) of the work; default: from JOB_COMPLETION_INDEX (0-based) and JOB_COMPLETIONS when set')
    .option('--out <dir>', "write this shard's result as one JSON file into DIR, for hyprace merge (exit 0 once written, whatever the verdict)")
    .option('--json', 'print one JSON object')
    .option('--no-typecheck', 'run a scenario file without type-checking it first')
    .action((names, o) => run(checkCommand(names, o)));

  p.command('compare')
    .description("every design of a scenario side by side: the scenario's figures (mean per run) and each verdict")
    .argument('<scenario>', 'a built-in scenario name or the path of a scenario file')
    .option('--design <name>', 'compare only these designs (repeatable)', collect)
    .option('--mode <mode>', 'inline or threads', 'inline')
    .option('--memory <model>', 'sc (sequentially consistent, default) or arm64 (stores and loads reorder unless barriers say otherwise; inline only)')
    .option('--promises <n>', 'arm64: promise steps per actor and run (stores made visible early; default 1)')
    .option('--iterations <n>', 'runs per design (default: 500, or the scenario budget if smaller)')
    .option('--time <seconds>', "time budget per design (default: the scenario's)")
    .option('--seed <s>', 'seed', '1')
    .option('--trace-dir <dir>', 'where violation traces are written', 'hyprace-traces')
    .option('--invariant <name>', 'check only this invariant (repeatable), e.g. to measure a caught design over every run', collect)
    .option('--step-timeout <seconds>', 'a step (or the work between two steps) that takes longer is a hang: exit 3 naming it (default 10)')
    .option('--json', 'print one JSON object')
    .option('--no-typecheck', 'run a scenario file without type-checking it first')
    .action((scenario, o) => run(compareCommand(scenario, o)));
  p.command('coverage')
    .description('explore every design, merge the states and transitions exercised into a coverage file, and draw each machine')
    .argument('[scenario...]', 'scenarios (default: the whole catalogue)')
    .option('--out <dir>', 'where the coverage file and the graphs go', 'hyprace-coverage')
    .option('--design <name>', 'only these designs (repeatable)', collect)
    .option('--min-transitions <percent>', 'exit 1 if any machine has fewer of its transitions covered')
    .option('--shard <I/N>', 'explore only shard I of N (1-based) of the runs, into DIR/shard-I-of-N.json for hyprace merge; default: from JOB_COMPLETION_INDEX (0-based) and JOB_COMPLETIONS when set')
    .option('--mode <mode>', 'inline or threads', 'inline')
    .option('--memory <model>', 'sc (sequentially consistent, default) or arm64 (stores and loads reorder unless barriers say otherwise; inline only)')
    .option('--promises <n>', 'arm64: promise steps per actor and run (stores made visible early; default 1)')
    .option('--iterations <n>', 'runs per design (default: 2000, or the scenario budget if smaller)')
    .option('--time <seconds>', "time budget per design (default: the scenario's)")
    .option('--seed <s>', 'seed', '1')
    .option('--step-timeout <seconds>', 'a step (or the work between two steps) that takes longer is a hang: exit 3 naming it (default 10)')
    .option('--json', 'print one JSON object')
    .option('--no-typecheck', 'run a scenario file without type-checking it first')
    .action((names, o) => run(coverageCommand(names, o)));
  p.command('merge')
    .description('combine the shard files of one sharded explore, check, coverage or verify into what one process would have printed')
    .argument('<dir...>', 'folders holding shard-I-of-N.json files (given to the shards as --out)')
    .option('--trace-dir <dir>', "where the reported violation's trace is written", 'hyprace-traces')
    .option('--json', 'print what the command would have printed with --json')
    .option('--no-typecheck', 'load a scenario file without type-checking it first')
    .action((dirs, o) => run(mergeCommand(dirs, o)));
  p.command('stress')
    .description('run a design on free-running worker threads for a bounded time, locktorture-style; figures per lock')
    .argument('<scenario>', 'a scenario with a stress profile (locktorture, vmid-rollover, spe-finalize)')
    .option('--design <name>', "the design to run (default: the scenario's first)")
    .option('--workers <n>', 'worker threads (locktorture: writers, and readers for rwlock; vmid-rollover: vCPU threads; spe-finalize: vCPU threads + 3)')
    .option('--duration <seconds>', 'how long to run', '10')
    .option('--stat-interval <seconds>', 'figures on stderr every this often (default: duration / 5, at least 1)')
    .option('--long-hold', 'now and then hold a lock for milliseconds')
    .option('--stutter [seconds]', 'pause every worker this long, every this long (default 0.5)')
    .option('--seed <s>', "seed of the actors' own random choices", '1')
    .option('--set <key=value>', 'override a scenario option (repeatable)', collect)
    .option('--trace-dir <dir>', 'where the recorded order of a violation is written', 'hyprace-traces')
    .option('--memory <model>', 'sc only: free threads run on the machine\'s own memory (arm64 is refused)')
    .option('--json', 'print one JSON object')
    .option('--no-typecheck', 'run a scenario file without type-checking it first')
    .action((scenario, o) => run(stressCommand(scenario, o)));
  return p;
}

/** Runs the CLI on `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let pending: Promise<number> | undefined;
  try {
    await program((p) => (pending = p)).parseAsync(argv, { from: 'user' });
    return pending ? await pending : EXIT.OK;
  } catch (e) {
    return report(e);
  }
}

function report(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
    if (e.code === 'commander.executeSubCommandAsync') return EXIT.INTERNAL;
    fail(e.message.replace(/^error: /, ''));
    return EXIT.USAGE;
  }
  if (e instanceof UsageError) return fail(e.message), EXIT.USAGE;
  if (e instanceof MachineDefinitionError) return fail(`bad machine definition: ${e.message}`), EXIT.USAGE;
  if (e instanceof ChoiceError || e instanceof UnrecordedAccess) return fail(e.message), EXIT.USAGE;
  if (e instanceof NondeterministicDesign) return fail(`nondeterminism: ${e.message}`), EXIT.INTERNAL;
  if (e instanceof Nondeterminism) return fail(e.message), EXIT.INTERNAL;
  if (e instanceof ActorFailure) return fail(`internal failure: ${e.message}`), EXIT.INTERNAL;
  fail(`internal failure: ${e instanceof Error ? e.message : String(e)}`);
  if (process.env.HYPRACE_DEBUG && e instanceof Error) console.error(e.stack);
  return EXIT.INTERNAL;
}

function fail(message: string): void {
  process.stderr.write(`hyprace: ${message.split('\n')[0]}\n`);
}
