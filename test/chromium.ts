// The Chromium the browser tests drive, so that `npm ci && npm test` needs nothing installed by
// hand: the system's `chromium` when there is one on PATH, else the browser that the
// @sparticuz/chromium package ships inside itself (a headless shell for x86-64 Linux, with the
// NSS libraries it needs). HYPRACE_CHROMIUM=npm forces the package's browser; any other value
// is the path of the browser to use.
//
// The package's own executablePath() decompresses into the shared system temp folder, in place
// (an interrupted run leaves a truncated binary that later runs reuse) and, off AWS Lambda,
// without the libraries. So its files are decompressed here instead: once, into
// node_modules/.cache (which `npm ci` starts afresh), in a private folder renamed into place
// when complete. Reading the package's files needs no network.
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';

export interface ChromiumBinary {
  executablePath: string;
  /** Added to the browser's environment (the package's libraries). */
  env: Record<string, string>;
  source: 'system' | 'npm' | 'HYPRACE_CHROMIUM';
  /** The package's version, for the browser it ships (its major version is Chromium's). */
  packageVersion?: string;
}

const CACHE = fileURLToPath(new URL('../node_modules/.cache/hyprace-chromium/', import.meta.url));

export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumBinary> {
  const chosen = env.HYPRACE_CHROMIUM;
  if (chosen === 'npm') return packagedChromium();
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`HYPRACE_CHROMIUM=${chosen}: no such file`);
    return { executablePath: chosen, env: {}, source: 'HYPRACE_CHROMIUM' };
  }
  const system = onPath('chromium', env.PATH ?? '');
  return system ? { executablePath: system, env: {}, source: 'system' } : packagedChromium();
}

/** Starts it headless, with no network of its own (this machine has none but the registries). */
export async function launchChromium(found: ChromiumBinary): Promise<Browser> {
  return chromium.launch({
    executablePath: found.executablePath,
    env: { ...process.env, ...found.env },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

function onPath(name: string, path: string): string | undefined {
  return path.split(delimiter).filter(Boolean).map((dir) => join(dir, name)).find((f) => existsSync(f));
}

async function packagedChromium(): Promise<ChromiumBinary> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the Chromium @sparticuz/chromium ships is for x86-64 Linux, not ${process.platform}-${process.arch}: put a chromium on PATH or set HYPRACE_CHROMIUM to a browser`);
  }
  // The package's entry point is build/{cjs,esm}/index.*; its compressed browser is in bin/.
  const root = join(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..', '..');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const dir = join(CACHE, version);
  if (!existsSync(dir)) await unpack(join(root, 'bin'), dir);
  return { executablePath: join(dir, 'chromium'), env: { LD_LIBRARY_PATH: join(dir, 'lib') }, source: 'npm', packageVersion: version };
}

async function unpack(bin: string, dir: string): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  removeAbandoned();
  const partial = mkdtempSync(join(CACHE, `.partial-${process.pid}-`));
  try {
    await pipeline(createReadStream(join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(join(partial, 'chromium'), { mode: 0o755 }));
    // lib/: libnss3, libnspr4, libexpat and their kin, built for Amazon Linux 2023 (glibc 2.34).
    execFileSync('tar', ['-x', '-C', partial], { input: brotliDecompressSync(readFileSync(join(bin, 'al2023.tar.br'))) });
    renameSync(partial, dir);
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    // Another test process unpacked the same version first: use its copy.
    if (!existsSync(dir)) throw e;
  }
}

/** Partial copies left by a process that was killed while unpacking. */
function removeAbandoned(): void {
  for (const name of readdirSync(CACHE)) {
    const pid = /^\.partial-(\d+)-/.exec(name)?.[1];
    if (pid && !alive(Number(pid))) rmSync(join(CACHE, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
