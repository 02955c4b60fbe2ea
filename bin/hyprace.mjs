#!/usr/bin/env node
// Entry point: registers the TypeScript loader and the 'hyprace' resolve hook, then hands over
// to the CLI.
import { registerLoaders } from '../actors/hooks/register.mjs';

await registerLoaders();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
