/**
 * The promqltest runner: executes PromQL test scripts (the Prometheus conformance format) against
 * vigil's engine and an in-memory store.
 * @module
 */
export { floatEqual, runScript } from './runner.js';
export type { CaseResult, CaseStatus, RunOptions } from './runner.js';
export { ScriptError, parseScript } from './script.js';
export type { ClearCommand, Command, EvalCommand, Expectation, ExpectedSeries, LoadCommand } from './script.js';
export { SeriesLineError, parseMetric, parseSeriesLine, parseValues } from './series-line.js';
export type { SeqValue, SeriesLine } from './series-line.js';
export { withAt } from './at-variant.js';
