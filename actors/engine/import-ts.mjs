// Imports a TypeScript module from a piscina worker, after registering the thread's loaders.
import { registerLoaders } from './hooks/register.mjs';

export async function importTs(url) {
  await registerLoaders();
  return import(url);
}
