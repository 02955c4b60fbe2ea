// Sharding's speed-up: the same runs made by one hyprace process, then by N shard processes at
// once (`--shard I/N --out DIR`, as a batch engine runs them), each process timing its own search
// (elapsedMs; process start-up is left out, as it is paid once per shard of a long job).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './stats.ts';

const BIN = new URL('../bin/hyprace.mjs', import.meta.url).pathname;

/** The work: a design that holds, so that every run asked for is made, inline, one job per process. */
const WORK = ['explore', 'vmid-rollover', '--design', 'v2022-vmid', '--mode', 'inline', '--no-shrink', '--json'];

export interface ShardSpeedup {
  shards: number;
  runs: number;
  /** Median seconds of one process making every run, and of the slowest of N shards making theirs. */
  oneProcessSeconds: number;
  shardedSeconds: number;
  /** oneProcessSeconds / shardedSeconds: N would be perfect. */
  speedup: number;
}

function hyprace(args: string[]): Promise<{ iterations: number; elapsedMs: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`hyprace ${args.join(' ')} exited ${code}`))));
  });
}

export async function shardSpeedup(shards: number, runs: number, repeats: number, log: (s: string) => void): Promise<ShardSpeedup> {
  const one: number[] = [];
  const sharded: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'hyprace-bench-shards-'));
  try {
    for (let i = 0; i < repeats; i++) {
      log(`shards: one process, ${runs} runs (${i + 1}/${repeats})…`);
      const whole = await hyprace([...WORK, '--iterations', String(runs), '--trace-dir', join(dir, 'traces')]);
      if (whole.iterations !== runs) throw new Error(`one process made ${whole.iterations} runs, not ${runs}`);
      one.push(whole.elapsedMs / 1000);
      log(`shards: ${shards} shard processes at once (${i + 1}/${repeats})…`);
      const parts = await Promise.all(
        Array.from({ length: shards }, (_, s) => hyprace([...WORK, '--iterations', String(runs), '--shard', `${s + 1}/${shards}`, '--out', join(dir, `out-${i}`), '--trace-dir', join(dir, 'traces')])),
      );
      const made = parts.reduce((n, p) => n + p.iterations, 0);
      if (made !== runs) throw new Error(`${shards} shards made ${made} runs, not ${runs}`);
      sharded.push(Math.max(...parts.map((p) => p.elapsedMs)) / 1000);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const oneProcessSeconds = median(one);
  const shardedSeconds = median(sharded);
  return { shards, runs, oneProcessSeconds: round(oneProcessSeconds), shardedSeconds: round(shardedSeconds), speedup: round(oneProcessSeconds / shardedSeconds) };
}

const round = (x: number) => Math.round(x * 100) / 100;
