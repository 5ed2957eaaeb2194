/**
 * node_exporter's `os` collector: node_os_info and node_os_version from os-release(5) under
 * the root filesystem.
 * @module
 */
import { statSync } from 'node:fs';
import type { Collector } from './collector.js';
import { NoDataError } from './errors.js';
import { isMissing, readText, under, type HostPaths } from './host-paths.js';
import { MetricType, type MetricBatch } from './metric-batch.js';

const FILES = ['etc/os-release', 'usr/lib/os-release'];
const INFO_LABELS = ['build_id', 'id', 'id_like', 'image_id', 'image_version', 'name', 'pretty_name', 'variant', 'variant_id', 'version', 'version_codename', 'version_id'];

/** parseOsRelease reads os-release(5) assignments (shell-like quoting) into a map. */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    let v = line.slice(eq + 1);
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\([$"\\`])/g, '$1');
    else if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) v = v.slice(1, -1);
    out.set(key, v);
  }
  return out;
}

/** OsCollector is node_exporter's os collector; it re-reads the file only when its mtime changes. */
export class OsCollector implements Collector {
  readonly name = 'os';
  readonly #paths: HostPaths;
  #cache: { path: string; mtimeMs: number; values: Map<string, string> } | undefined;

  constructor(opts: { paths: HostPaths }) {
    this.#paths = opts.paths;
  }

  collect(out: MetricBatch): void {
    let values: Map<string, string> | undefined;
    for (const rel of FILES) {
      const path = under(this.#paths.rootfs, rel);
      try {
        const mtimeMs = statSync(path).mtimeMs;
        if (this.#cache?.path !== path || this.#cache.mtimeMs !== mtimeMs) this.#cache = { path, mtimeMs, values: parseOsRelease(readText(path)) };
        values = this.#cache.values;
        break;
      } catch (e) {
        if (isMissing(e)) continue;
        throw e;
      }
    }
    if (values === undefined) throw new NoDataError(this.name, 'no os-release file');
    const info = out.family(
      'node_os_info',
      MetricType.gauge,
      "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
      INFO_LABELS,
    );
    out.add(info, 1, INFO_LABELS.map((l) => values.get(l.toUpperCase()) ?? ''));
    const mm = /^[0-9]+\.?[0-9]*/.exec(values.get('VERSION_ID') ?? '')?.[0] ?? '';
    const version = mm !== '' ? Number(mm) : 0;
    if (version > 0) {
      const f = out.family('node_os_version', MetricType.gauge, 'Metric containing the major.minor part of the OS version.', ['id', 'id_like', 'name']);
      out.add(f, version, [values.get('ID') ?? '', values.get('ID_LIKE') ?? '', values.get('NAME') ?? '']);
    }
  }
}
