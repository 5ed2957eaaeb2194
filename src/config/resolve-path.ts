/**
 * Relative paths in a config file are relative to the file's folder, as in Prometheus.
 * @module
 */
import { isAbsolute, join } from 'node:path';

/** resolvePath joins a relative path to dir; empty and absolute paths are returned as they are. */
export function resolvePath(dir: string, p: string): string {
  if (p === '' || isAbsolute(p)) return p;
  return join(dir, p);
}
