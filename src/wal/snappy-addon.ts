/**
 * The snappy addon, loaded on first use: a process whose WALs never hold compressed records
 * (the agent's log queue) does not map it (6–15 MB of RSS and two threads).
 * @module
 */
import { createRequire } from 'node:module';

type Snappy = typeof import('snappy');
let addon: Snappy | undefined;

/** snappy returns the snappy module, loading it the first time. */
export function snappy(): Snappy {
  return (addon ??= createRequire(import.meta.url)('snappy') as Snappy);
}
