/**
 * The contract every discovery provider implements.
 * @module
 */
import type { TargetGroup } from './target-group.js';

/**
 * Discoverer produces target groups. `run` yields the full set of groups first, then updates:
 * each update lists only the groups that changed, and a group with no targets means its
 * source is gone. The iterable ends when `signal` aborts (or the consumer stops iterating),
 * leaving no timer, watcher or connection behind. Errors talking to the source are reported
 * through `onError` options of the providers and never end the stream.
 */
export interface Discoverer {
  run(signal: AbortSignal): AsyncIterable<readonly TargetGroup[]>;
}
