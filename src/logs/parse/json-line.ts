/**
 * JSON lines: Docker json-file (`{"log":…,"stream":…,"time":…}`), `journalctl -o json`,
 * Kubernetes audit events and application JSON logs with their common time, level and
 * message keys.
 * @module
 */
import { flattenJson } from './json-fields.js';
import { JsonSlot, JsonValueKind, MESSAGE_KEYS } from './json-scan.js';
import { JournalRecord, parseJournalJson } from './journal-fields.js';
import { levelFromNumber, levelFromWord, type Level } from './level.js';
import { PARSE_ERROR_FIELD, type ParseContext } from './parse-context.js';
import { LogFormat, type ParsedLine } from './parsed-line.js';
import { parseEpoch, parseEpochNumber, parseIso, parseTimeValue } from './timestamp.js';

const journalRecord = new JournalRecord();
const JOURNAL_JSON_START = '{"__CURSOR":';
const DOCKER_JSON_START = '{"log":';

/** Whether `v` is what Docker's json-file driver writes: a string `log` and only `stream`, `time`, `attrs` besides. */
function isDockerObject(v: unknown): v is { log: string; stream?: unknown; time?: unknown; attrs?: unknown } {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || typeof (v as { log?: unknown }).log !== 'string') return false;
  for (const k in v) if (k !== 'log' && k !== 'stream' && k !== 'time' && k !== 'attrs') return false;
  return true;
}

/** Fields of an audit event that are kept in the line only (they can be large). */
const AUDIT_SKIP: ReadonlySet<string> = new Set(['requestObject', 'responseObject', 'kind', 'apiVersion']);

/**
 * parseJsonLine parses a line that starts with `{`. Returns false when it is not valid JSON;
 * then, if it starts with `{"`, `out` carries a `parse_error` field for the caller to keep.
 */
export function parseJsonLine(ctx: ParseContext, s: string, refMs: number, out: ParsedLine): boolean {
  // `journalctl -o json` lines start with the cursor: V8's own parser reads them faster than
  // the scan would (they are long, every member is wanted). Anything JSON.parse refuses goes
  // the scanning way, which reports where the line is broken.
  if (s.startsWith(DOCKER_JSON_START)) {
    // Docker json-file lines: JSON.parse unescapes `log` on the way; other shapes are scanned.
    let obj: unknown;
    try {
      obj = JSON.parse(s);
    } catch {
      obj = undefined;
    }
    if (isDockerObject(obj)) {
      const attrs = obj.attrs;
      return parseDocker(ctx, obj.log, typeof obj.stream === 'string' ? obj.stream : '', typeof obj.time === 'string' ? obj.time : undefined, attrs !== null && typeof attrs === 'object' ? (attrs as Record<string, unknown>) : undefined, refMs, out);
    }
  } else if (s.startsWith(JOURNAL_JSON_START)) {
    let obj: unknown;
    try {
      obj = JSON.parse(s);
    } catch {
      obj = undefined;
    }
    if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
      parseJournalJson(ctx, obj as Record<string, unknown>, journalRecord, out.t, out);
      return true;
    }
  }
  const sc = ctx.json;
  if (!sc.scan(s)) {
    if (s.charCodeAt(1) === 34) out.setField(PARSE_ERROR_FIELD, `json: ${sc.error} at offset ${sc.errorAt}`);
    return false;
  }
  const arrival = out.t;
  try {
    return parseScanned(ctx, s, refMs, out);
  } catch (e) {
    // The scanner is lenient about raw control characters inside strings; JSON.parse is not.
    out.reset(arrival);
    out.setField(PARSE_ERROR_FIELD, `json: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
}

/**
 * jsonLineLevel returns the level parseJsonLine would find in `s` ('' when it fails), reading
 * only the level of plain application JSON (no time, no object); other shapes go the full way.
 */
export function jsonLineLevel(ctx: ParseContext, s: string, refMs: number, probe: ParsedLine): Level | '' {
  const sc = ctx.json;
  if (!sc.scan(s)) return '';
  try {
    if (
      !ctx.jsonMessage &&
      !ctx.payloadFields &&
      !(sc.kind[JsonSlot.DockerLog] === JsonValueKind.String && sc.nonDockerMembers === 0) &&
      !(sc.journalMarkers > 0 || (sc.hasJournalMessage && sc.hasPriority)) &&
      !hasEscapedTime(ctx) &&
      !(sc.value(JsonSlot.Kind) === 'Event' && (sc.value(JsonSlot.ApiVersion) ?? '').startsWith('audit.k8s.io/'))
    ) {
      return jsonLevel(ctx);
    }
  } catch {
    return '';
  }
  probe.reset(refMs);
  return parseJsonLine(ctx, s, refMs, probe) ? probe.level : '';
}

/** Whether a time candidate has escapes (unescaping it may fail, which fails the line). */
function hasEscapedTime(ctx: ParseContext): boolean {
  const sc = ctx.json;
  for (let i = 0; i < sc.timeCount; i++) if (sc.timeEscaped[i] !== 0) return true;
  return false;
}

function parseScanned(ctx: ParseContext, s: string, refMs: number, out: ParsedLine): boolean {
  const sc = ctx.json;
  // Docker json-file: only log/stream/time/attrs, with a string log.
  if (sc.kind[JsonSlot.DockerLog] === JsonValueKind.String && sc.nonDockerMembers === 0) {
    let attrs: Record<string, unknown> | undefined;
    if (sc.members > 1 && s.includes('"attrs"')) {
      const obj = JSON.parse(s) as Record<string, unknown>;
      if (obj.attrs !== null && typeof obj.attrs === 'object') attrs = obj.attrs as Record<string, unknown>;
    }
    const stream = sc.kind[JsonSlot.DockerStream] === JsonValueKind.String ? sc.value(JsonSlot.DockerStream)! : '';
    const time = sc.kind[JsonSlot.DockerTime] === JsonValueKind.String ? sc.value(JsonSlot.DockerTime)! : undefined;
    return parseDocker(ctx, sc.value(JsonSlot.DockerLog)!, stream, time, attrs, refMs, out);
  }
  if (sc.journalMarkers > 0 || (sc.hasJournalMessage && sc.hasPriority)) {
    const obj = JSON.parse(s) as Record<string, unknown>;
    parseJournalJson(ctx, obj, journalRecord, out.t, out);
    return true;
  }
  if (sc.value(JsonSlot.Kind) === 'Event' && (sc.value(JsonSlot.ApiVersion) ?? '').startsWith('audit.k8s.io/')) {
    return parseAudit(ctx, s, refMs, out);
  }
  out.format = LogFormat.Json;
  out.line = s;
  setJsonTime(ctx, refMs, out);
  out.level = jsonLevel(ctx);
  if (ctx.jsonMessage && sc.kind[JsonSlot.Message] === JsonValueKind.String) {
    const key = MESSAGE_KEYS[sc.rank[JsonSlot.Message]!]!;
    out.line = sc.value(JsonSlot.Message)!;
    flattenJson(JSON.parse(s) as Record<string, unknown>, (out.fields ??= {}), new Set([key]));
  } else if (ctx.payloadFields) {
    const obj = JSON.parse(s) as Record<string, unknown>;
    flattenJson(obj, (out.fields ??= {}));
  }
  return true;
}

function setJsonTime(ctx: ParseContext, refMs: number, out: ParsedLine): void {
  const sc = ctx.json;
  const tr = ctx.time;
  let best = 0x7fffffff;
  for (let i = 0; i < sc.timeCount; i++) {
    const rank = sc.timeRanks[i]!;
    if (rank > best) continue;
    let ok: boolean;
    const a = sc.timeStarts[i]!;
    const b = sc.timeEnds[i]!;
    if (sc.timeKinds[i] === JsonValueKind.Number) {
      ok = parseEpoch(sc.s, a, b, tr) || parseEpochNumber(Number(sc.s.slice(a, b)), tr);
    } else if (sc.timeKinds[i] === JsonValueKind.String) {
      // Most time values are RFC 3339 without escapes: read them in place.
      ok = sc.timeEscaped[i] === 0 && parseIso(sc.s, a, ctx.tz, tr) ? tr.end === b : parseTimeValue(sc.timeValue(i), ctx.tz, refMs, tr);
    } else {
      ok = false;
    }
    if (ok) {
      best = rank;
      out.setTime(tr.t, tr.ns);
    }
  }
}

function jsonLevel(ctx: ParseContext): Level | '' {
  const sc = ctx.json;
  const k = sc.kind[JsonSlot.Level];
  if (k === JsonValueKind.String) return levelFromWord(sc.value(JsonSlot.Level)!);
  if (k === JsonValueKind.Number) return levelFromNumber(Number(sc.value(JsonSlot.Level)));
  return '';
}

/**
 * parseDocker reads a Docker json-file line: the line is `log` without its trailing newline
 * (a `log` without one is the first part of a line Docker split at 16 KiB: `partial`),
 * `stream` is a label, `time` the timestamp, `attrs` (from `--log-opt labels/env`) fields.
 * The level is looked for in the message as for any line.
 */
function parseDocker(ctx: ParseContext, log: string, stream: string, time: string | undefined, attrs: Record<string, unknown> | undefined, refMs: number, out: ParsedLine): boolean {
  let t = -1;
  let ns = 0;
  if (time !== undefined) {
    const tr = ctx.time;
    if (parseTimeValue(time, ctx.tz, refMs, tr)) {
      t = tr.t;
      ns = tr.ns;
    }
  }
  const partial = !log.endsWith('\n');
  const line = partial ? log : log.slice(0, log.endsWith('\r\n') ? -2 : -1);
  out.format = LogFormat.DockerJson;
  out.line = line;
  out.stream = stream;
  out.partial = partial;
  if (t >= 0) out.setTime(t, ns);
  if (attrs !== undefined) flattenJson(attrs, (out.fields ??= {}));
  return true;
}

/**
 * parseAudit reads a Kubernetes audit event (audit.k8s.io Event): the line is the event JSON,
 * the time `stageTimestamp` (else `requestReceivedTimestamp`), and its members are fields
 * (nested keys joined with `_`, request and response objects left in the line only).
 */
function parseAudit(ctx: ParseContext, s: string, refMs: number, out: ParsedLine): boolean {
  const sc = ctx.json;
  const tr = ctx.time;
  out.format = LogFormat.KubernetesAudit;
  out.line = s;
  const stage = sc.value(JsonSlot.StageTimestamp);
  const recv = sc.value(JsonSlot.RequestReceivedTimestamp);
  if ((stage !== undefined && parseTimeValue(stage, ctx.tz, refMs, tr)) || (recv !== undefined && parseTimeValue(recv, ctx.tz, refMs, tr))) {
    out.setTime(tr.t, tr.ns);
  }
  const obj = JSON.parse(s) as Record<string, unknown>;
  const fields: Record<string, string> = {};
  flattenJson(obj, fields, AUDIT_SKIP);
  const ips = obj.sourceIPs;
  if (Array.isArray(ips)) fields.sourceIPs = ips.filter((x) => typeof x === 'string').join(',');
  out.fields = fields;
  return true;
}
