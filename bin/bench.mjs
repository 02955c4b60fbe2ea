#!/usr/bin/env node
// Entry point for `npm run bench`: registers the loaders, then runs the benchmark suite.
import { registerLoaders } from '../actors/engine/hooks/register.mjs';

await registerLoaders();
const { main } = await import('../bench/main.ts');
process.exitCode = await main(process.argv.slice(2));
