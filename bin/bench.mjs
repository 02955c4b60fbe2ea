#!/usr/bin/env node
// Entry point for `npm run bench`: registers tsx, then runs the benchmark suite.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../bench/main.ts');
process.exitCode = await main(process.argv.slice(2));
