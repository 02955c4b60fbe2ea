#!/usr/bin/env node
// Entry point: registers the TypeScript loader and the 'hyprace' resolve hook, then hands over
// to the CLI.
import { registerLoaders } from '../actors/engine/hooks/register.mjs';

// A reader that goes away (`hyprace list | head`) ends the output, not the program with a stack trace.
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

await registerLoaders();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
