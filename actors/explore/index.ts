// Exploration: sampling runs under a strategy (explore.ts), in threads or parallel inline jobs
// (session.ts, parallel.ts), and the coverage they leave (coverage.ts, machine-graph.ts).
// The entry point for the rest of hyprace: import from here, not from its files.
export { COVERAGE_FORMAT, type CoverageData, CoverageRecorder, emptyCoverage, growthCurve, type MachineCoverage, machineKey, mergeCoverage } from './coverage.ts';
export { designMachines } from './design-machines.ts';
export { explore, type ExploreOptions, type ExploreProgress, type ExploreResult, type FoundViolation } from './explore.ts';
export { designCoverage, type DesignCoverage, designGraphs, type MachineGraph, machineGraph, pathsToUncovered, summarize } from './machine-graph.ts';
export { JobPools, mergeExploreResults, runsOfJob, withJobPools } from './parallel.ts';
export { exploreDesign } from './session.ts';
