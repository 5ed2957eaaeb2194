/**
 * Reading file_sd files: a JSON or YAML list of `{targets: [...], labels: {...}}` groups, as
 * Prometheus's file discovery reads them (JSON leniently, YAML strictly).
 * @module
 */
import { extname } from 'node:path';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YNode, Pair } from 'yaml';
import { Labels } from '../model/index.js';
import { isValidLabelName } from '../relabel/index.js';
import { TargetGroupFileError } from './errors.js';
import type { TargetGroup } from './target-group.js';

/** The label file discovery adds to every group: the file's path. */
export const FILEPATH_LABEL = '__meta_filepath';

/** Largest file_sd file accepted, in bytes. */
export const MAX_TARGET_FILE_BYTES = 64 << 20;

/**
 * parseTargetGroupFile parses the content of a file_sd file; the extension (.json, .yml,
 * .yaml, any case) picks the format. Group sources are `<file>:<index>` and every group gets
 * `__meta_filepath`. Throws TargetGroupFileError.
 */
export function parseTargetGroupFile(text: string, filename: string): TargetGroup[] {
  if (text.length > MAX_TARGET_FILE_BYTES) throw new TargetGroupFileError(filename, undefined, `file is larger than ${MAX_TARGET_FILE_BYTES} bytes`);
  const ext = extname(filename).toLowerCase();
  let raw: { targets: string[]; labels: Record<string, string> }[];
  if (ext === '.json') raw = parseJson(text, filename);
  else if (ext === '.yml' || ext === '.yaml') raw = parseYaml(text, filename);
  else throw new TargetGroupFileError(filename, undefined, `invalid file extension: ${JSON.stringify(extname(filename))}`);
  return raw.map((g, i) => ({
    source: `${filename}:${i}`,
    targets: g.targets.map((t) => Labels.fromObject({ __address__: t })),
    labels: Labels.fromObject({ ...g.labels, [FILEPATH_LABEL]: filename }),
  }));
}

function parseJson(text: string, file: string): { targets: string[]; labels: Record<string, string> }[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new TargetGroupFileError(file, undefined, e instanceof Error ? e.message : String(e), { cause: e });
  }
  if (v === null) return [];
  if (!Array.isArray(v)) throw new TargetGroupFileError(file, undefined, `json: cannot unmarshal ${jsonKind(v)} into Go value of type []*targetgroup.Group`);
  return v.map((g: unknown, i) => {
    if (g === null) throw new TargetGroupFileError(file, undefined, `nil target group item found (index ${i})`);
    if (typeof g !== 'object' || Array.isArray(g)) throw new TargetGroupFileError(file, undefined, `json: cannot unmarshal ${jsonKind(g)} into Go value of type targetgroup.Group`);
    const o = g as Record<string, unknown>;
    const targets: string[] = [];
    // encoding/json matches field names case-insensitively and ignores unknown ones.
    const tk = Object.keys(o).find((k) => k.toLowerCase() === 'targets');
    const lk = Object.keys(o).find((k) => k.toLowerCase() === 'labels');
    const tv = tk === undefined ? null : o[tk];
    if (tv !== null && tv !== undefined) {
      if (!Array.isArray(tv)) throw new TargetGroupFileError(file, undefined, `json: cannot unmarshal ${jsonKind(tv)} into Go struct field .targets of type []string`);
      for (const t of tv) {
        if (typeof t !== 'string' && t !== null) throw new TargetGroupFileError(file, undefined, `json: cannot unmarshal ${jsonKind(t)} into Go struct field .targets of type string`);
        targets.push(t ?? '');
      }
    }
    const labels: Record<string, string> = {};
    const lv = lk === undefined ? null : o[lk];
    if (lv !== null && lv !== undefined) {
      if (typeof lv !== 'object' || Array.isArray(lv)) throw new TargetGroupFileError(file, undefined, `json: cannot unmarshal ${jsonKind(lv)} into Go struct field .labels of type model.LabelSet`);
      for (const [k, val] of Object.entries(lv as Record<string, unknown>)) {
        if (typeof val !== 'string' && val !== null) throw new TargetGroupFileError(file, undefined, `json: cannot unmarshal ${jsonKind(val)} into Go struct field .labels of type model.LabelValue`);
        if (!isValidLabelName(k)) throw new TargetGroupFileError(file, undefined, `${JSON.stringify(k)} is not a valid label name`);
        labels[k] = val ?? '';
      }
    }
    return { targets, labels };
  });
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

function parseYaml(text: string, file: string): { targets: string[]; labels: Record<string, string> }[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', merge: true, uniqueKeys: true, lineCounter: lc, prettyErrors: false });
  const fail: (node: YNode | null | undefined, detail: string) => never = (node, detail) => {
    const off = node?.range?.[0];
    throw new TargetGroupFileError(file, off === undefined ? undefined : lc.linePos(off).line, detail);
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new TargetGroupFileError(file, lc.linePos(e.pos[0]).line, `yaml: ${e.message.split('\n')[0]!}`);
  }
  let budget = 1_000_000;
  const resolve = (n: unknown): YNode | null | undefined => {
    let cur = n as YNode | null | undefined;
    for (let hops = 0; isAlias(cur); hops++) {
      if (hops > 100) fail(cur, 'alias loop');
      cur = cur.resolve(doc) as YNode | undefined;
    }
    if (--budget < 0) fail(cur, 'document expands to too many nodes: refusing a possible YAML bomb');
    return cur;
  };
  const scalar = (n: unknown, into: string): string => {
    const r = resolve(n);
    if (r === null || r === undefined) return '';
    if (!isScalar(r)) fail(r, `cannot unmarshal ${isMap(r) ? '!!map' : '!!seq'} into ${into}`);
    if (r.value === null) return '';
    if (typeof r.value === 'string') return r.value;
    return r.source ?? String(r.value);
  };
  const root = resolve(doc.contents);
  if (root === null || root === undefined || (isScalar(root) && root.value === null)) return [];
  if (!isSeq(root)) fail(root, 'cannot unmarshal into []*targetgroup.Group: expected a list');
  return root.items.map((item, i) => {
    const g = resolve(item);
    if (g === null || g === undefined || (isScalar(g) && g.value === null)) fail(g ?? root, `nil target group item found (index ${i})`);
    if (!isMap(g)) fail(g, 'cannot unmarshal into targetgroup.Group: expected a mapping');
    const out = { targets: [] as string[], labels: {} as Record<string, string> };
    for (const p of g.items as Pair[]) {
      const key = scalar(p.key, 'string');
      const v = resolve(p.value);
      if (key === 'targets') {
        if (v === null || v === undefined || (isScalar(v) && v.value === null)) continue;
        if (!isSeq(v)) fail(v, 'cannot unmarshal into []string: expected a list of targets');
        for (const t of v.items) out.targets.push(scalar(t, 'string'));
      } else if (key === 'labels') {
        if (v === null || v === undefined || (isScalar(v) && v.value === null)) continue;
        if (!isMap(v)) fail(v, 'cannot unmarshal into model.LabelSet: expected a mapping');
        for (const lp of v.items as Pair[]) {
          const name = scalar(lp.key, 'model.LabelName');
          if (!isValidLabelName(name)) fail(resolve(lp.key), `${JSON.stringify(name)} is not a valid label name`);
          out.labels[name] = scalar(lp.value, 'model.LabelValue');
        }
      } else {
        fail(resolve(p.key), `field ${key} not found in type struct { Targets []string "yaml:\\"targets\\""; Labels model.LabelSet "yaml:\\"labels\\"" }`);
      }
    }
    return out;
  });
}
