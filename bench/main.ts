// npm run bench: engine throughput against raw references measured in the same run, threads
// mode against inline, how fast each strategy finds each known bug, and how cost grows with the
// modelled machine's size. Medians of several runs; --json for machines; the scaling table and
// plot also go to DIR/scaling.html and DIR/scaling.svg (--report DIR, default hyprace-report).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { coldWake, rawPingPongPerSec, rawXstatePerSec } from './references.ts';
import { ENGINE_DESIGN, engineFigures, inlineWatchedStepsPerSec, pingPongBound, wakeBound } from './engine.ts';
import { scalingRows } from './scaling.ts';
import { scalingHtml, scalingSvg } from './scaling-report.ts';
import { medianOf } from './stats.ts';
import { toViolation, type ToViolation } from './to-violation.ts';
import { stage2Bench } from './stage2.ts';
import { lockBench } from './locks.ts';
import { memoryModelBench } from './memory-model.ts';
import { lockTable } from './lock-table.ts';
import { shardSpeedup } from './shards.ts';
import { allScenarios } from '../cli/resolve.ts';
import { table } from '../cli/format.ts';

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const reportAt = argv.indexOf('--report');
  const reportDir = reportAt >= 0 && argv[reportAt + 1] ? argv[reportAt + 1] : 'hyprace-report';
  const runs = quick ? 3 : 5;
  const secs = quick ? 0.3 : 1;
  const log = (s: string) => (json ? undefined : process.stderr.write(s + '\n'));

  log('raw xstate transition loop…');
  const rawXstate = await medianOf(runs, () => rawXstatePerSec(secs * 1000));
  log('raw Atomics ping-pong between two workers…');
  const rawPingPong = await medianOf(runs, () => rawPingPongPerSec(secs * 1000));
  log('waking a sleeping worker…');
  const wake = await coldWake(quick ? 300 : 1000);
  log('inline and threads engine, random…');
  const random = await engineFigures('random', secs, runs);
  log('inline and threads engine, PCT…');
  const pct = await engineFigures('pct', secs, runs);
  log('threads engine with every step handed out by the main thread (the earlier design)…');
  const central = await engineFigures('random', secs, quick ? 1 : 3, { handoff: 'central' });
  log('threads engine with the main thread asleep while the workers carry a run…');
  const asleep = await engineFigures('pct', secs, quick ? 1 : 3, { mainWhileRunning: 'sleep' });
  const inline = random.inlineStepsPerSec;
  const threads = random.threadsStepsPerSec;
  log('inline engine with the job watchdog heartbeat…');
  const watch = await inlineWatchedStepsPerSec(secs, runs);

  log('arm64 memory model against sc…');
  const memory = await memoryModelBench(secs, runs);

  log('stage-2 tables over a 4 GiB IPA space…');
  const stage2 = stage2Bench(4, quick ? 1 : 3);

  const locks = await lockBench(quick ? 200 : 500, log, 3);

  const shards = await shardSpeedup(2, quick ? 2000 : 12000, 3, log);

  const toViolations: ToViolation[] = [];
  const seeds = quick ? 3 : 7;
  for (const { scenario } of await allScenarios()) {
    for (const [design, d] of Object.entries(scenario.designs)) {
      if (d.expect !== 'caught') continue;
      for (const strategy of ['random', 'pct'] as const) {
        log(`time to violation: ${scenario.name}/${design} ${strategy}…`);
        toViolations.push(await toViolation(scenario, design, strategy, seeds, quick ? 2 : 10));
      }
    }
  }

  const scaling = await scalingRows({ seconds: quick ? 0.3 : 1, samples: quick ? 1 : 3, seeds: quick ? 2 : 3, capSeconds: quick ? 3 : 10, log });
  const load = (await import('node:os')).loadavg()[0].toFixed(1);
  mkdirSync(reportDir, { recursive: true });
  writeFileSync(join(reportDir, 'scaling.svg'), scalingSvg(scaling));
  writeFileSync(
    join(reportDir, 'scaling.html'),
    scalingHtml(scaling, `npm run bench${quick ? ' --quick' : ''}: medians of ${quick ? 1 : 3} samples per size and mode, ${quick ? 2 : 3} seeds for the time to violation (cap ${quick ? 3 : 10} s); load average ${load} at the end`),
  );

  const result = {
    inlineStepsPerSec: Math.round(inline),
    threadsStepsPerSec: Math.round(threads),
    threadsVsInline: { random: random.threadsVsInline, pct: pct.threadsVsInline },
    engine: [random, pct, { ...central, strategy: 'random, central handoff' }, { ...asleep, strategy: 'pct, main thread asleep' }],
    rawXstatePerSec: Math.round(rawXstate),
    rawPingPongPerSec: Math.round(rawPingPong),
    coldWake: wake,
    wakeBound: { random: wakeBound(random, wake.wakeUs), pct: wakeBound(pct, wake.wakeUs) },
    pingPongBound: { random: pingPongBound(random, rawPingPong), pct: pingPongBound(pct, rawPingPong) },
    inlineVsRawXstate: round(inline / rawXstate),
    inlineUnwatchedStepsPerSec: Math.round(watch.plain),
    inlineWatchedStepsPerSec: Math.round(watch.watched),
    watchdogHeartbeatCost: round(1 - watch.watched / watch.plain),
    threadsVsRawPingPong: round(threads / rawPingPong),
    arm64VsSc: memory.arm64VsSc,
    memoryModel: memory,
    toViolation: toViolations,
    stage2,
    locks,
    shardSpeedup: shards,
    scaling,
  };
  if (json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return 0;
  }
  console.log(
    table(
      ['measure', 'per second', 'ratio', 'reference'],
      [
        ['raw xstate transitions', fmt(rawXstate), '', ''],
        ['raw Atomics ping-pong round trips', fmt(rawPingPong), '', ''],
        [`wake of a worker asleep 0.5 ms: ${wake.wakeUs} us to running, ${wake.notifyUs} us in notify`, fmt(1e6 / wake.wakeUs), '', ''],
        ['inline engine steps', fmt(inline), `${result.inlineVsRawXstate}x`, 'raw xstate (target >= 0.5x)'],
        ['inline steps, unwatched / with the watchdog heartbeat (interleaved)', `${fmt(watch.plain)} / ${fmt(watch.watched)}`, `${round(watch.watched / watch.plain)}x`, 'unwatched'],
        ['threads engine steps', fmt(threads), `${result.threadsVsRawPingPong}x`, 'raw ping-pong (target >= 0.5x)'],
        [`runs, ${shards.shards} shard processes at once (${shards.runs} runs in all)`, fmt(shards.runs / shards.shardedSeconds), `${shards.speedup}x`, `one shard alone (${fmt(shards.runs / shards.shards / shards.oneShardSeconds)}/s; target >= ${0.8 * shards.shards}x)`],
        [`steps under --memory arm64 (${memory.design}; ${Math.round(memory.arm64InfeasibleShare * 100)}% of runs infeasible; per run ${memory.arm64PromiseStepsPerRun} promise steps, ${memory.arm64PromisesPerRun} promises made; ${memory.arm64SoloStepsPerStep} solo steps per step)`, fmt(memory.arm64StepsPerSec), `${memory.arm64VsSc}x`, `sc, ${fmt(memory.scStepsPerSec)}/s (target >= 0.5x; median of each round's ratio; in CPU time ${memory.arm64VsScCpu}x)`],
        ['steps under --memory arm64 --promises 0', fmt(memory.arm64NoPromisesStepsPerSec), `${memory.arm64NoPromisesVsSc}x`, 'sc'],
      ],
    ),
  );
  console.log();
  console.log(
    table(
      [`${ENGINE_DESIGN}, steps per second`, 'inline', 'threads', 'threads / inline', 'target', 'turn passes / step', 'us per pass over inline', 'bound from bare wakes', 'bound from ping-pong passes'],
      [
        ['random', fmt(random.inlineStepsPerSec), fmt(random.threadsStepsPerSec), `${random.threadsVsInline}x`, '>= 0.33x', String(random.turnPassesPerStep), String(random.usPerPass), `${result.wakeBound.random}x`, `${result.pingPongBound.random}x`],
        ['pct', fmt(pct.inlineStepsPerSec), fmt(pct.threadsStepsPerSec), `${pct.threadsVsInline}x`, '>= 0.5x', String(pct.turnPassesPerStep), String(pct.usPerPass), `${result.wakeBound.pct}x`, `${result.pingPongBound.pct}x`],
        ['random, central handoff (earlier design)', fmt(central.inlineStepsPerSec), fmt(central.threadsStepsPerSec), `${central.threadsVsInline}x`, '', String(central.turnPassesPerStep), String(central.usPerPass), `${wakeBound(central, wake.wakeUs)}x`, `${pingPongBound(central, rawPingPong)}x`],
        ['pct, main thread asleep while a run is carried', fmt(asleep.inlineStepsPerSec), fmt(asleep.threadsStepsPerSec), `${asleep.threadsVsInline}x`, '', String(asleep.turnPassesPerStep), String(asleep.usPerPass), `${wakeBound(asleep, wake.wakeUs)}x`, `${pingPongBound(asleep, rawPingPong)}x`],
      ],
    ),
  );
  console.log();
  console.log(
    table(
      ['scenario', 'design', 'strategy', 'found', 'median schedules', 'median time'],
      toViolations.map((t) => [t.scenario, t.design, t.strategy + (t.depth ? ` d${t.depth}` : ''), `${t.found}/${t.seeds}`, fin(t.medianSchedules), Number.isFinite(t.medianMs) ? `${Math.round(t.medianMs)} ms` : '-']),
    ),
  );
  console.log();
  console.log(
    table(
      ['stage-2 tables, 4 GiB of 4 KiB pages', 'value'],
      [
        ['map, pages per second', fmt(stage2.mapPagesPerSec)],
        ['unmap, pages per second', fmt(stage2.unmapPagesPerSec)],
        ['raw 64-bit Atomics stores per second (reference)', fmt(stage2.rawDescriptorStoresPerSec)],
        ['map vs raw stores', `${stage2.mapVsRawStores}x`],
        ['table pages per GiB mapped', String(stage2.tablesPerGiB)],
        ['table bytes per GiB mapped', fmt(stage2.tableBytesPerGiB)],
        ['shared-buffer bytes per GiB (tables, frame counts, cache model)', fmt(stage2.sharedBytesPerGiB)],
      ],
    ),
  );
  console.log();
  console.log(lockTable(locks));
  console.log();
  console.log(
    table(
      ['scenario', 'vCPUs', 'CPUs', 'actors', 'mode', 'steps/s', 'runs/s', 'steps/run', 'limit runs', 'state bytes', 'workers MB', 'found', 'schedules', 'ms to violation'],
      scaling.map((r) => [
        r.scenario,
        String(r.vcpus),
        String(r.cpus),
        String(r.actors),
        r.mode,
        fmt(r.stepsPerSec),
        fmt(r.runsPerSec),
        String(r.stepsPerRun),
        String(r.stepLimitRuns),
        fmt(r.stateBytes),
        r.mode === 'threads' ? (r.workersRssBytes / 2 ** 20).toFixed(0) : '',
        `${r.found}/${r.seeds}`,
        fin(r.medianSchedulesToViolation),
        Number.isFinite(r.medianMsToViolation) ? String(Math.round(r.medianMsToViolation)) : '-',
      ]),
    ),
  );
  console.log(`scaling table and plot: ${join(reportDir, 'scaling.html')}, ${join(reportDir, 'scaling.svg')} (load average ${load})`);
  console.log(`\nmedians of ${runs} runs (throughput) and ${seeds} seeds (time to violation, ${quick ? 2 : 10} s cap each); '-' = not found in most seeds`);
  return 0;
}

const round = (x: number) => Math.round(x * 100) / 100;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const fin = (x: number) => (Number.isFinite(x) ? String(x) : '-');
