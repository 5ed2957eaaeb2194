/**
 * Loki's push API bodies: JSON (`{"streams":[{"stream":{…},"values":[["<ns>","<line>",{meta}]]}]}`)
 * and protobuf (logproto.PushRequest, snappy-compressed), decoded into streams and entries.
 * The protobuf schema is written here from Loki's documented push.proto.
 * @module
 */
import protobuf from 'protobufjs';
import { Labels, LabelsBuilder } from '../../model/index.js';
import type { LogEntry } from '../store/index.js';
import { IngestError } from './errors.js';
import { parseLabelString } from './label-string.js';

/** PushSink receives each stream's labels and entries. */
export type PushSink = (labels: Labels, entries: readonly LogEntry[]) => void;

const PUSH_PROTO = `
syntax = "proto3";
package logproto;
message PushRequest { repeated StreamAdapter streams = 1; }
message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
message EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter structuredMetadata = 3; }
message LabelPairAdapter { string name = 1; string value = 2; }
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
`;

/** PushRequest is the protobufjs type of logproto.PushRequest (exported for clients and tests). */
export const PushRequest: protobuf.Type = protobuf.parse(PUSH_PROTO, { keepCase: true }).root.lookupType('logproto.PushRequest');

interface ProtoTimestamp {
  seconds?: number | { toNumber(): number };
  nanos?: number;
}
interface ProtoEntry {
  timestamp?: ProtoTimestamp;
  line?: string;
  structuredMetadata?: { name?: string; value?: string }[];
}
interface ProtoStream {
  labels?: string;
  entries?: ProtoEntry[];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** decodePushProto decodes a (decompressed) protobuf PushRequest. */
export function decodePushProto(buf: Uint8Array, sink: PushSink): void {
  let req: { streams?: ProtoStream[] };
  try {
    req = PushRequest.decode(buf) as unknown as { streams?: ProtoStream[] };
  } catch (e) {
    throw new IngestError('bad_request', `invalid protobuf PushRequest: ${(e as Error).message}`, { cause: e });
  }
  const streams = req.streams ?? [];
  streams.forEach((s, si) => {
    const labels = checkStreamLabels(parseLabelString(s.labels ?? ''), si);
    const entries: LogEntry[] = [];
    for (const e of s.entries ?? []) {
      const sec = typeof e.timestamp?.seconds === 'object' ? e.timestamp.seconds.toNumber() : (e.timestamp?.seconds ?? 0);
      const nanos = e.timestamp?.nanos ?? 0;
      if (nanos < 0 || nanos > 999_999_999) throw new IngestError('bad_request', `streams[${si}]: nanos ${nanos} out of range`);
      const t = sec * 1000 + Math.floor(nanos / 1_000_000);
      const entry: { t: number; ns: number; line: string; fields?: Record<string, string> } = { t, ns: nanos % 1_000_000, line: e.line ?? '' };
      if (e.structuredMetadata !== undefined && e.structuredMetadata.length > 0) {
        const f: Record<string, string> = {};
        for (const p of e.structuredMetadata) if (p.name !== undefined && p.name !== '') f[p.name] = p.value ?? '';
        entry.fields = f;
      }
      entries.push(entry);
    }
    sink(labels, entries);
  });
}

/**
 * decodePushJson decodes a JSON push body. Timestamps are Unix nanoseconds as strings (as Loki
 * wants) or numbers; the optional third value of an entry is its structured metadata.
 */
export function decodePushJson(text: string, sink: PushSink): void {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new IngestError('bad_request', `invalid JSON push body: ${(e as Error).message}`, { cause: e });
  }
  const streams = (body as { streams?: unknown } | null)?.streams;
  if (!Array.isArray(streams)) throw new IngestError('bad_request', 'push body needs a "streams" array');
  streams.forEach((s: unknown, si) => {
    const st = s as { stream?: unknown; labels?: unknown; values?: unknown } | null;
    if (st === null || typeof st !== 'object') throw new IngestError('bad_request', `streams[${si}] is not an object`);
    let labels: Labels;
    if (st.stream !== undefined) {
      labels = labelsOfObject(st.stream, si);
    } else if (typeof st.labels === 'string') {
      labels = parseLabelString(st.labels);
    } else {
      throw new IngestError('bad_request', `streams[${si}] has no "stream" labels`);
    }
    labels = checkStreamLabels(labels, si);
    if (!Array.isArray(st.values)) throw new IngestError('bad_request', `streams[${si}].values must be an array`);
    const entries: LogEntry[] = new Array(st.values.length);
    st.values.forEach((v: unknown, vi) => {
      if (!Array.isArray(v) || v.length < 2) throw new IngestError('bad_request', `streams[${si}].values[${vi}] must be ["<unix ns>", "<line>"]`);
      const ts = v[0] as unknown;
      const line = v[1] as unknown;
      if (typeof line !== 'string') throw new IngestError('bad_request', `streams[${si}].values[${vi}][1] (the line) must be a string`);
      let t: number;
      let ns: number;
      if (typeof ts === 'string' && isDigits(ts)) {
        if (ts.length > 6) {
          t = Number(ts.slice(0, -6));
          ns = Number(ts.slice(-6));
        } else {
          t = 0;
          ns = Number(ts);
        }
      } else if (typeof ts === 'number' && Number.isFinite(ts) && ts >= 0) {
        t = Math.floor(ts / 1e6);
        ns = Math.max(0, Math.min(999_999, Math.round(ts - t * 1e6)));
      } else {
        throw new IngestError('bad_request', `streams[${si}].values[${vi}][0] must be a Unix time in nanoseconds, as a string`);
      }
      const meta = v[2] as unknown;
      if (meta !== undefined && meta !== null && typeof meta === 'object' && !Array.isArray(meta)) {
        const f: Record<string, string> = {};
        for (const [k, mv] of Object.entries(meta as Record<string, unknown>)) f[k] = typeof mv === 'string' ? mv : JSON.stringify(mv);
        entries[vi] = Object.keys(f).length > 0 ? { t, ns, line, fields: f } : { t, ns, line };
      } else {
        entries[vi] = { t, ns, line };
      }
    });
    sink(labels, entries);
  });
}

/**
 * streamLabelsOfJson returns the labels of the JSON text of a push body's stream object
 * (`{"name":"value",…}`) of stream index `si`, checked as decodePushJson checks them.
 */
export function streamLabelsOfJson(text: string, si: number): Labels {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new IngestError('bad_request', `invalid JSON push body: ${(e as Error).message}`, { cause: e });
  }
  return checkStreamLabels(labelsOfObject(o, si), si);
}

function labelsOfObject(o: unknown, si: number): Labels {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new IngestError('bad_request', `streams[${si}].stream must be an object of label values`);
  const b = new LabelsBuilder();
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new IngestError('bad_request', `streams[${si}].stream.${k} must be a string`);
    b.set(k, v);
  }
  return b.labels();
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 19) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function checkStreamLabels(labels: Labels, si: number): Labels {
  if (labels.isEmpty()) throw new IngestError('bad_request', `streams[${si}]: at least one label pair is required per stream`);
  for (let i = 0; i < labels.length; i++) {
    const n = labels.nameAt(i);
    if (!LABEL_NAME.test(n)) throw new IngestError('bad_request', `streams[${si}]: invalid label name "${n}"`);
  }
  return labels;
}
