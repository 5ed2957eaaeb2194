/**
 * The Elasticsearch bulk API subset log shippers use (Fluent Bit, Fluentd, Logstash, Vector,
 * the official clients' bulk helpers): `index`/`create` actions with their documents, turned
 * into log entries, and the response they read (`errors`, per-item `status` and `error`).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { LabelsBuilder, type Labels } from '../../model/index.js';
import { flattenJson, levelFromWord, parseTimestampValue } from '../parse/index.js';
import type { LogEntry } from '../store/index.js';
import { IngestError } from './errors.js';

/** BulkItem is one entry of a bulk response's `items`. */
export type BulkItem = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** BulkDoc is a document accepted for storage. */
export interface BulkDoc {
  readonly labels: Labels;
  readonly entry: LogEntry;
}

/** BulkResult is what parsing a bulk body gave: documents to store and the response items. */
export interface BulkResult {
  readonly docs: BulkDoc[];
  readonly items: BulkItem[];
  readonly errors: boolean;
}

// Keys that become labels (dotted paths into the document) and the label they set.
const LABEL_PATHS: readonly (readonly [string, string])[] = [
  ['kubernetes.namespace_name', 'namespace'], ['kubernetes.pod_namespace', 'namespace'], ['kubernetes.namespace', 'namespace'],
  ['kubernetes.pod_name', 'pod'], ['kubernetes.pod.name', 'pod'],
  ['kubernetes.container_name', 'container'], ['kubernetes.container.name', 'container'], ['container.name', 'container'], ['container_name', 'container'],
  ['kubernetes.host', 'host'], ['host.name', 'host'], ['host.hostname', 'host'], ['hostname', 'host'], ['host', 'host'],
  ['stream', 'stream'],
];
const TIME_KEYS = ['@timestamp', 'timestamp', 'time', 'date', 'ts'];
const MESSAGE_KEYS = ['message', 'log', 'msg'];
const LEVEL_KEYS = ['log.level', 'level', 'severity', 'loglevel'];
const DATE_SUFFIX = /[-_.]\d{4}[.-]\d{2}[.-]\d{2}$/;

let seqNo = 0;

function get(doc: Record<string, unknown>, path: string): unknown {
  if (path in doc) return doc[path];
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function del(doc: Record<string, unknown>, path: string): void {
  if (path in doc) {
    delete doc[path];
    return;
  }
  const parts = path.split('.');
  let cur: unknown = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Record<string, unknown>)[parts[i]!];
  }
  if (cur !== null && typeof cur === 'object') delete (cur as Record<string, unknown>)[parts[parts.length - 1]!];
}

/**
 * docToEntry turns one document into a log entry: time from `@timestamp` (or timestamp, time,
 * date, ts; else the arrival time), line from `message` (or log, msg; else the document's
 * JSON), labels `index` (daily date suffix removed), namespace/pod/container/host/stream from
 * the Kubernetes and ECS fields shippers add, `level`; the other members become fields.
 */
export function docToEntry(doc: Record<string, unknown>, source: string, index: string, base: Labels, arrivalMs: number, levelLabel: boolean): BulkDoc {
  const b = new LabelsBuilder();
  b.set('index', index.replace(DATE_SUFFIX, ''));
  for (const [path, label] of LABEL_PATHS) {
    if (b.has(label)) continue;
    const v = get(doc, path);
    if (typeof v === 'string' && v !== '') {
      b.set(label, v);
      del(doc, path);
    }
  }
  let t = arrivalMs;
  let ns = 0;
  for (const k of TIME_KEYS) {
    const v = doc[k];
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    // Elasticsearch reads numeric dates as epoch milliseconds.
    const ts = typeof v === 'number' ? (Number.isFinite(v) ? { t: Math.floor(v), ns: Math.round((v % 1) * 1e6) } : undefined) : parseTimestampValue(v);
    if (ts !== undefined) {
      t = ts.t;
      ns = ts.ns;
      delete doc[k];
      break;
    }
  }
  let line: string | undefined;
  for (const k of MESSAGE_KEYS) {
    const v = doc[k];
    if (typeof v === 'string') {
      line = k === 'log' && v.endsWith('\n') ? v.slice(0, -1) : v;
      delete doc[k];
      break;
    }
  }
  for (const k of LEVEL_KEYS) {
    const v = get(doc, k);
    if (typeof v === 'string') {
      const l = levelFromWord(v);
      if (l !== '' && levelLabel) b.set('level', l);
      break;
    }
  }
  base.forEach((n, v) => b.set(n, v));
  let fields: Record<string, string> | undefined;
  if (line === undefined) {
    line = source.trim();
  } else {
    const f: Record<string, string> = {};
    flattenJson(doc, f);
    if (Object.keys(f).length > 0) fields = f;
  }
  const entry: LogEntry = fields === undefined ? { t, ns, line } : { t, ns, line, fields };
  return { labels: b.labels(), entry };
}

function itemError(action: string, index: string | undefined, id: string | undefined, status: number, type: string, reason: string): BulkItem {
  return { [action]: { _index: index ?? null, _id: id ?? null, status, error: { type, reason } } };
}

/**
 * parseBulk reads a bulk body (NDJSON action/document line pairs). A malformed action line
 * fails the whole request, as in Elasticsearch; a bad document fails only its item.
 */
export function parseBulk(body: string, defaultIndex: string | undefined, base: Labels, arrivalMs: number, levelLabel: boolean): BulkResult {
  const lines = body.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const docs: BulkDoc[] = [];
  const items: BulkItem[] = [];
  let errors = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    let action: Record<string, unknown>;
    try {
      action = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw new IngestError('bad_request', `Malformed action/metadata line [${i + 1}], expected START_OBJECT`);
    }
    const names = action !== null && typeof action === 'object' ? Object.keys(action) : [];
    if (names.length !== 1) throw new IngestError('bad_request', `Malformed action/metadata line [${i + 1}], expected a single action`);
    const name = names[0]!;
    const meta = (action[name] ?? {}) as Record<string, unknown>;
    const index = typeof meta._index === 'string' ? meta._index : defaultIndex;
    const id = typeof meta._id === 'string' ? meta._id : undefined;
    if (name === 'delete') {
      errors = true;
      items.push(itemError(name, index, id, 400, 'action_request_validation_exception', 'Validation Failed: 1: vigil keeps logs append-only; delete is not supported;'));
      continue;
    }
    if (name !== 'index' && name !== 'create' && name !== 'update') {
      throw new IngestError('bad_request', `Malformed action/metadata line [${i + 1}], unknown action [${name}]`);
    }
    i++;
    const source = (lines[i] ?? '').replace(/\r$/, '');
    if (i >= lines.length) throw new IngestError('bad_request', `The bulk request must be terminated by a newline [\\n]: action on line ${i} has no document`);
    if (name === 'update') {
      errors = true;
      items.push(itemError(name, index, id, 400, 'action_request_validation_exception', 'Validation Failed: 1: vigil keeps logs append-only; update is not supported;'));
      continue;
    }
    if (index === undefined || index === '') {
      errors = true;
      items.push(itemError(name, index, id, 400, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;'));
      continue;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(source);
    } catch (e) {
      errors = true;
      items.push(itemError(name, index, id, 400, 'document_parsing_exception', `[${i + 1}:1] failed to parse: ${(e as Error).message}`));
      continue;
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      errors = true;
      items.push(itemError(name, index, id, 400, 'document_parsing_exception', `[${i + 1}:1] failed to parse: the document is not a JSON object`));
      continue;
    }
    docs.push(docToEntry(doc as Record<string, unknown>, source, index, base, arrivalMs, levelLabel));
    items.push({
      [name]: {
        _index: index,
        _id: id ?? randomBytes(15).toString('base64url'),
        _version: 1,
        result: 'created',
        _shards: { total: 1, successful: 1, failed: 0 },
        _seq_no: seqNo++,
        _primary_term: 1,
        status: 201,
      },
    });
  }
  return { docs, items, errors };
}
