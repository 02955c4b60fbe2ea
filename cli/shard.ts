// Sharding: `--shard I/N` (1-based: shards 1/N .. N/N), or a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX (0-based) and JOB_COMPLETIONS, picks this process's share of the work; with
// `--out DIR` the share's result goes into DIR as one JSON file that `hyprace merge` combines.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeAtomically } from '../actors/trace/index.ts';
import { runsOfJob } from '../actors/explore/index.ts';
import { TOOL_VERSION } from '../actors/trace/index.ts';
import { UsageError } from './exit.ts';

export interface Shard {
  /** 1-based: 1..count. */
  index: number;
  count: number;
}

export const MAX_SHARDS = 4096;
export const SHARD_FORMAT = 'hyprace-shard';
export const SHARD_VERSION = 1;

export type ShardedCommand = 'explore' | 'check' | 'coverage' | 'verify';

/** The shard from `--shard I/N`, else from a Kubernetes Indexed Job's environment, else none. */
export function shardOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Shard | undefined {
  if (flag !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(flag.trim());
    const index = m ? Number(m[1]) : NaN;
    const count = m ? Number(m[2]) : NaN;
    if (!m || count < 1 || count > MAX_SHARDS || index < 1 || index > count) {
      throw new UsageError(`--shard must be I/N with 1 <= I <= N <= ${MAX_SHARDS} (1-based: --shard 1/2 and --shard 2/2), got '${flag}'`);
    }
    return { index, count };
  }
  const i = env.JOB_COMPLETION_INDEX;
  const n = env.JOB_COMPLETIONS;
  if (i === undefined || n === undefined) return undefined;
  const index = Number(i);
  const count = Number(n);
  if (!/^\d+$/.test(i) || !/^\d+$/.test(n) || count < 1 || count > MAX_SHARDS || index >= count) {
    throw new UsageError(`JOB_COMPLETION_INDEX (0-based) must be below JOB_COMPLETIONS (1 to ${MAX_SHARDS}), got '${i}' and '${n}'`);
  }
  return { index: index + 1, count };
}

/** The runs shard I of N makes out of `iterations`: runs I-1, I-1+N, ... (the union over shards is runs 0..iterations-1). */
export function sampledShare(iterations: number, shard: Shard | undefined): { iterations: number; firstIteration?: number; iterationStride?: number } {
  if (!shard) return { iterations };
  const share = iterations >= Number.MAX_SAFE_INTEGER ? iterations : runsOfJob(iterations, shard.count, shard.index - 1);
  return { iterations: share, firstIteration: shard.index - 1, iterationStride: shard.count };
}

/** A violation's trace carried inside a shard file, so that merge can write it where it runs. */
export interface EmbeddedTrace {
  name: string;
  text: string;
}

export function embedTrace(path: string | null | undefined): EmbeddedTrace | null {
  return path ? { name: basename(path), text: readFileSync(path, 'utf8') } : null;
}

export function restoreTrace(t: EmbeddedTrace, traceDir: string): string {
  return writeAtomically(join(traceDir, t.name), t.text);
}

export interface ShardFile<R = unknown> {
  format: typeof SHARD_FORMAT;
  version: typeof SHARD_VERSION;
  tool: string;
  command: ShardedCommand;
  shard: Shard;
  /** The command line, as typed (for people; merge compares `settings`). */
  argv: string[];
  /** What every shard of one search has in common: scenarios and flags, less where results go. */
  settings: Record<string, unknown>;
  elapsedMs: number;
  result: R;
}

/** Flags that say where results go or how they are shown, not what is searched: shards may differ in them. */
const PER_SHARD_FLAGS = new Set(['shard', 'out', 'traceDir', 'json', 'typecheck']);

/** The settings merge compares: the command's arguments and flags, less those above. */
export function shardSettings(args: Record<string, unknown>, flags: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...args };
  for (const [k, v] of Object.entries(flags)) if (!PER_SHARD_FLAGS.has(k) && v !== undefined) out[k] = v;
  return out;
}

export function shardFileName(s: Shard): string {
  return `shard-${s.index}-of-${s.count}.json`;
}

export function writeShardFile<R>(dir: string, file: Omit<ShardFile<R>, 'format' | 'version' | 'tool' | 'argv'>): string {
  const full: ShardFile<R> = { format: SHARD_FORMAT, version: SHARD_VERSION, tool: TOOL_VERSION, argv: process.argv.slice(2), ...file };
  return writeAtomically(join(dir, shardFileName(file.shard)), JSON.stringify(full) + '\n');
}

/** What the shard file says, in the words a person would use for the flag. */
function flagName(key: string): string {
  return key === 'scenario' || key === 'scenarios' ? key : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Every shard file in `dirs`, checked to be one search: the same command, tool, settings and N,
 * each shard 1..N exactly once. Anything else is bad input, named in one line.
 */
export function readShardFiles(dirs: string[]): ShardFile[] {
  if (!dirs.length) throw new UsageError('merge needs at least one folder of shard files');
  const files: { path: string; file: ShardFile }[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = statSync(dir).isDirectory() ? readdirSync(dir) : [];
    } catch (e) {
      throw new UsageError(`cannot read folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const name of names.filter((n) => /^shard-\d+-of-\d+\.json$/.test(n)).sort()) files.push({ path: join(dir, name), file: parseShardFile(join(dir, name)) });
  }
  if (!files.length) throw new UsageError(`no shard files (shard-I-of-N.json) in ${dirs.join(', ')}`);
  const [first, ...rest] = files;
  for (const { path, file } of rest) {
    const differs = (what: string, a: unknown, b: unknown) =>
      new UsageError(`shards of different searches: ${what} is ${JSON.stringify(a)} in ${first.path} but ${JSON.stringify(b)} in ${path}`);
    if (file.command !== first.file.command) throw differs('the command', first.file.command, file.command);
    if (file.tool !== first.file.tool) throw differs('the hyprace version', first.file.tool, file.tool);
    if (file.shard.count !== first.file.shard.count) throw differs('the number of shards N', first.file.shard.count, file.shard.count);
    const keys = new Set([...Object.keys(first.file.settings), ...Object.keys(file.settings)]);
    for (const k of keys) {
      const a = first.file.settings[k];
      const b = file.settings[k];
      if (JSON.stringify(a) !== JSON.stringify(b)) throw differs(flagName(k), a ?? null, b ?? null);
    }
  }
  const count = first.file.shard.count;
  const byIndex = new Map<number, string>();
  for (const { path, file } of files) {
    const seen = byIndex.get(file.shard.index);
    if (seen) throw new UsageError(`shard ${file.shard.index}/${count} given twice: ${seen} and ${path}`);
    byIndex.set(file.shard.index, path);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length) throw new UsageError(`missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} (found ${byIndex.size} of ${count})`);
  return files.map((f) => f.file).sort((a, b) => a.shard.index - b.shard.index);
}

function parseShardFile(path: string): ShardFile {
  let f: ShardFile;
  try {
    f = JSON.parse(readFileSync(path, 'utf8')) as ShardFile;
  } catch (e) {
    throw new UsageError(`${path} is not a shard file: ${(e as Error).message.split('\n')[0]}`);
  }
  if (f?.format !== SHARD_FORMAT || typeof f.shard?.index !== 'number' || typeof f.shard?.count !== 'number' || typeof f.settings !== 'object') {
    throw new UsageError(`${path} is not a hyprace shard file`);
  }
  if (f.version !== SHARD_VERSION) throw new UsageError(`${path} is a shard file of format version ${JSON.stringify(f.version)}; this hyprace merges version ${SHARD_VERSION}`);
  return f;
}
