/**
 * nameFilter compiles a collector's include/exclude pattern (node_exporter's flags: devices,
 * mount points, fs types, vmstat fields) as an unanchored RE2 regex that remembers each name's
 * answer: the same few names come back every cycle, and the cycle runs mostly unoptimized,
 * where a regex run costs far more than a map lookup.
 * @module
 */
import { compileUnanchored, memoized, type Regex } from '../../model/index.js';

/** nameFilter returns the pattern compiled, with its answers kept per name. */
export function nameFilter(pattern: string): Regex {
  return memoized(compileUnanchored(pattern));
}
