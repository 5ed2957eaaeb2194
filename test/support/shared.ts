// Where the shared reference material lives (corpus, conformance files, recipes, bench
// harnesses): $VIGIL_SHARED, else `shared/` beside the repository, else /work/shared.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

function sharedRoot(): string {
  const env = process.env.VIGIL_SHARED;
  if (env !== undefined && env !== '') return resolve(env);
  const beside = resolve(import.meta.dirname, '../../../shared');
  if (existsSync(beside)) return beside;
  return '/work/shared';
}

/** SHARED is the root of the shared reference material. */
export const SHARED = sharedRoot();

/** shared joins a path under the shared root, e.g. shared('corpus/logs'). */
export function shared(...parts: string[]): string {
  return join(SHARED, ...parts);
}
