// Stress: free-running worker threads with real locks, locktorture-style (stress.ts), and the
// trace a free run leaves (free-trace.ts). The entry point: import from here, not from its files.
export { writeFreeTrace } from './free-trace.ts';
export { type LockFigures, type Percentiles, runStress, STRESS_DEFAULTS, type StressSnapshot } from './stress.ts';
