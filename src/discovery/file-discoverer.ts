/**
 * file_sd_configs: target groups read from JSON and YAML files, re-read when a watched folder
 * changes and every refresh interval. A file that fails to read keeps its last good groups, as
 * in Prometheus; a file that disappears has its groups removed.
 * @module
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Labels } from '../model/index.js';
import type { Discoverer } from './discoverer.js';
import { TargetGroupFileError } from './errors.js';
import type { FileSDConfig } from './sd-config.js';
import { parseTargetGroupFile } from './target-group-file.js';
import type { TargetGroup } from './target-group.js';
import { Wakeup } from './wakeup.js';

/** FileDiscovererOptions configure a FileDiscoverer. */
export interface FileDiscovererOptions {
  readonly config: FileSDConfig;
  /** Called for each file that cannot be read or parsed (its previous groups are kept). */
  readonly onError?: (err: Error) => void;
  /** Delay after a change event before re-reading, to let writers finish; default 50 ms. */
  readonly settleMs?: number;
}

/** FileDiscoverer watches file_sd files. */
export class FileDiscoverer implements Discoverer {
  readonly #config: FileSDConfig;
  readonly #onError: (err: Error) => void;
  readonly #settleMs: number;
  // Number of groups each file produced last time, to remove sources that went away.
  readonly #lastCount = new Map<string, number>();

  constructor(options: FileDiscovererOptions) {
    const { config, onError = () => {}, settleMs = 50 } = options;
    if (config.files.length === 0) throw new Error('FileDiscoverer: config.files must not be empty');
    this.#config = config;
    this.#onError = onError;
    this.#settleMs = settleMs;
  }

  /** run yields every group of every matching file, then changes. */
  async *run(signal: AbortSignal): AsyncIterable<readonly TargetGroup[]> {
    const wake = new Wakeup();
    const watchers: FSWatcher[] = [];
    for (const dir of new Set(this.#config.files.map((p) => dirname(p)))) {
      try {
        const w = watch(dir, { persistent: false }, () => wake.wake());
        w.on('error', (e) => this.#onError(e));
        watchers.push(w);
      } catch (e) {
        // A folder that does not exist yet is still polled every refresh interval.
        this.#onError(e instanceof Error ? e : new Error(String(e)));
      }
    }
    try {
      let first = true;
      while (!signal.aborted) {
        const groups = await this.#refresh();
        if (signal.aborted) return;
        if (first || groups.length > 0) yield groups;
        first = false;
        const why = await wake.wait(this.#config.refreshIntervalMs, signal);
        if (why === 'abort') return;
        if (why === 'wake' && this.#settleMs > 0) {
          // Coalesce the burst of events one write makes.
          if ((await new Wakeup().wait(this.#settleMs, signal)) === 'abort') return;
          wake.clear();
        }
      }
    } finally {
      for (const w of watchers) w.close();
    }
  }

  async #refresh(): Promise<TargetGroup[]> {
    const out: TargetGroup[] = [];
    const seen = new Set<string>();
    for (const pattern of this.#config.files) {
      for (const file of await listMatches(pattern)) {
        if (seen.has(file)) continue;
        seen.add(file);
        let groups: TargetGroup[];
        try {
          groups = parseTargetGroupFile(await readFile(file, 'utf8'), file);
        } catch (e) {
          if (e instanceof TargetGroupFileError || isFsError(e)) {
            this.#onError(e as Error);
            continue;
          }
          throw e;
        }
        out.push(...groups);
        const before = this.#lastCount.get(file) ?? 0;
        for (let i = groups.length; i < before; i++) out.push(emptyGroup(`${file}:${i}`));
        this.#lastCount.set(file, groups.length);
      }
    }
    for (const [file, n] of this.#lastCount) {
      if (seen.has(file)) continue;
      for (let i = 0; i < n; i++) out.push(emptyGroup(`${file}:${i}`));
      this.#lastCount.delete(file);
    }
    return out;
  }
}

function emptyGroup(source: string): TargetGroup {
  return { source, targets: [], labels: Labels.EMPTY };
}

function isFsError(e: unknown): boolean {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}

async function listMatches(pattern: string): Promise<string[]> {
  const dir = dirname(pattern);
  const base = basename(pattern);
  if (!base.includes('*')) {
    try {
      return (await stat(pattern)).isFile() ? [pattern] : [];
    } catch {
      return [];
    }
  }
  const star = base.indexOf('*');
  const prefix = base.slice(0, star);
  const suffix = base.slice(star + 1);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  // Only one `*` is allowed in the last element (config checks it), matching no `/`.
  return names
    .filter((n) => n.length >= prefix.length + suffix.length && n.startsWith(prefix) && n.endsWith(suffix))
    .sort()
    .map((n) => join(dir, n));
}
