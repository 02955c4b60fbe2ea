// Sharding's speed-up, as issue 15 states it: N shard processes at once against one shard's
// throughput. One shard (`--shard 1/N --out DIR`) first runs alone, then all N at once, as a batch
// engine runs them; each process times its own search (elapsedMs: its watched worker's start
// included, process start-up left out). Every process makes the same share, so the start each
// pays weighs the same on both sides: speed-up = N x alone / slowest of the N.
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
  /** Median seconds of shard 1/N making its share alone, and of the slowest of N shards at once. */
  oneShardSeconds: number;
  shardedSeconds: number;
  /** shards x oneShardSeconds / shardedSeconds: N would be perfect. */
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
  const alone: number[] = [];
  const sharded: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'hyprace-bench-shards-'));
  const shard = (s: number, out: string) => hyprace([...WORK, '--iterations', String(runs), '--shard', `${s + 1}/${shards}`, '--out', join(dir, out), '--trace-dir', join(dir, 'traces')]);
  try {
    for (let i = 0; i < repeats; i++) {
      log(`shards: shard 1/${shards} of ${runs} runs alone (${i + 1}/${repeats})…`);
      alone.push((await shard(0, `alone-${i}`)).elapsedMs / 1000);
      log(`shards: ${shards} shard processes at once (${i + 1}/${repeats})…`);
      const parts = await Promise.all(Array.from({ length: shards }, (_, s) => shard(s, `out-${i}`)));
      const made = parts.reduce((n, p) => n + p.iterations, 0);
      if (made !== runs) throw new Error(`${shards} shards made ${made} runs, not ${runs}`);
      sharded.push(Math.max(...parts.map((p) => p.elapsedMs)) / 1000);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const oneShardSeconds = median(alone);
  const shardedSeconds = median(sharded);
  return { shards, runs, oneShardSeconds: round(oneShardSeconds), shardedSeconds: round(shardedSeconds), speedup: round((shards * oneShardSeconds) / shardedSeconds) };
}

const round = (x: number) => Math.round(x * 100) / 100;
