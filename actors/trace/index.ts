// Traces: the file format (trace.ts), building one from a run, shrinking, replaying, and writing
// a found violation to disk before anything is printed. The entry point: import from here.
export { writeAtomically } from './atomic-write.ts';
export { checkModel, replayTrace, TraceMismatch } from './replay.ts';
export { MEMORY_MODELS, type MemoryModel, readTrace, type Trace, TraceFormatError, type TraceStep } from './trace.ts';
export { TOOL_VERSION } from './version.ts';
export { type FoundViolation, recordViolation } from './violation-trace.ts';
