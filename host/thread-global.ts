// One object per thread, whichever copy of a module asks for it. A test runner or a loader can
// hold two instances of a host module (the scenario's 'hyprace' and the engine's own import):
// per-thread facts (who is stepping, what the step touches) must still be one.
export function threadGlobal<T extends object>(name: string, create: () => T): T {
  const key = Symbol.for(`hyprace.${name}`);
  const g = globalThis as unknown as Record<symbol, T | undefined>;
  return (g[key] ??= create());
}
