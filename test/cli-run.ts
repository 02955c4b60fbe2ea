// Running the hyprace command as a user does, from tests: one process per call, its exit code,
// stdout and stderr; and the shape every refusal must have (exit 2, one line).
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const BIN = new URL('../bin/hyprace.mjs', import.meta.url).pathname;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `hyprace args...`; `node` holds options for node itself (e.g. a heap limit). */
export function hyprace(args: string[], node: string[] = []): CliResult {
  const r = spawnSync(process.execPath, [...node, BIN, ...args], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without waiting: for two hyprace processes at once. */
export function hypraceAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A refusal: exit `code` (2: bad input, 3: internal failure), one line on stderr matching `message`. */
export function expectOneLine(r: CliResult, code: number, message: RegExp): void {
  expect(r.code, r.stdout + r.stderr).to.equal(code);
  expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
  expect(r.stderr).to.match(/^hyprace: /);
  expect(r.stderr).to.match(message);
}

export const VERDICTS = new URL('./fixtures/verdicts-scenario.ts', import.meta.url).pathname;
export const EXAMPLE = new URL('../examples/lost-update.ts', import.meta.url).pathname;

const FAULTS = new URL('./fixtures/faults-scenario.ts', import.meta.url).pathname;

/** A scenario file in `dir` with one fault of fixtures/faults-scenario.ts, so that `check` meets only that one. */
export function faultFile(dir: string, fault: string): string {
  const file = join(dir, `${fault}.ts`);
  writeFileSync(file, `import { faultScenario } from '${FAULTS}';\nexport default faultScenario('${fault}');\n`);
  return file;
}
