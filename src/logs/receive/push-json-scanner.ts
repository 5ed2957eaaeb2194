/**
 * A byte scanner for Loki JSON push bodies in the form clients send them:
 * `{"streams":[{"stream":{…},"values":[["<unix ns>","<line>"],…]},…]}` (keys of a stream in
 * either order, any JSON whitespace). It fills a LineBatch whose lines are ranges of the body
 * itself, so that no string, array or object is made per entry: the body's bytes go to the
 * store's WAL as they are. Lines with JSON escapes are decoded in place, after the whole body
 * has been checked.
 *
 * Everything else (structured metadata, the `labels` string form, numeric timestamps, other
 * keys, invalid UTF-8, any malformed input) is left to decodePushJson: the scanner reports
 * that it did not take the body and has changed nothing, so both paths answer every body alike.
 * @module
 */
import { isUtf8 } from 'node:buffer';
import type { Labels } from '../../model/index.js';
import type { LineBatchBuilder } from '../store/index.js';

/**
 * StreamLabelsOf returns the labels of a stream object, the JSON text body[start, end) (a
 * `{…}` of label names and values), for stream index `si`; it throws when they are invalid.
 */
export type StreamLabelsOf = (body: Buffer, start: number, end: number, si: number) => Labels;

// Byte classes inside a JSON string: 0 plain, 1 quote, 2 backslash, 3 control (invalid).
const STR = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STR[c] = 3;
STR[0x22] = 1;
STR[0x5c] = 2;
// JSON whitespace.
const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;
// Hex digit values + 1 (0: not a hex digit).
const HEX = new Uint8Array(256);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c + 1;
for (let c = 0; c < 6; c++) HEX[0x41 + c] = HEX[0x61 + c] = c + 11;
// The one-letter escapes and what they stand for (0: not an escape; \u is handled apart).
const ESC = new Uint8Array(256);
ESC[0x22] = 0x22;
ESC[0x5c] = 0x5c;
ESC[0x2f] = 0x2f;
ESC[0x62] = 0x08;
ESC[0x66] = 0x0c;
ESC[0x6e] = 0x0a;
ESC[0x72] = 0x0d;
ESC[0x74] = 0x09;

const KEY_STREAMS = Buffer.from('streams');
const KEY_STREAM = Buffer.from('stream');
const KEY_VALUES = Buffer.from('values');

/**
 * scanPushJson reads a JSON push body into `out` (whose bytes become `body`) and returns true,
 * or returns false, having added nothing to `out` and changed nothing in `body`, when the body
 * is not in the form the scanner takes. Lines with escapes are decoded in place in `body`
 * (only when it returns true). A stream whose labels `labelsOf` refuses is left to the slow path
 * too (it knows whether something else is wrong first).
 */
export function scanPushJson(body: Buffer, out: LineBatchBuilder, labelsOf: StreamLabelsOf): boolean {
  if (!isUtf8(body)) return false;
  out.setBytes(body);
  const escaped: number[] = [];
  if (!scanTop(body, out, labelsOf, escaped)) {
    out.count = 0;
    out.runs = 0;
    out.runLabels.length = 0;
    out.fields = undefined;
    return false;
  }
  for (let j = 0; j < escaped.length; j++) {
    const k = escaped[j]!;
    out.end[k] = unescapeInPlace(body, out.start[k]!, out.end[k]!);
  }
  return true;
}

function ws(b: Buffer, i: number, n: number): number {
  while (i < n && WS[b[i]!] === 1) i++;
  return i;
}

// keyEnd reads a key string without escapes at b[i] (its opening quote); returns the index of
// its closing quote, or -1.
function keyEnd(b: Buffer, i: number, n: number): number {
  if (b[i] !== 0x22) return -1;
  i++;
  while (i < n && STR[b[i]!] === 0) i++;
  return i < n && b[i] === 0x22 ? i : -1;
}

function keyIs(b: Buffer, start: number, end: number, name: Buffer): boolean {
  return end - start === name.length && b.compare(name, 0, name.length, start, end) === 0;
}

// scanTop reads `{"streams":[…]}`.
function scanTop(b: Buffer, out: LineBatchBuilder, labelsOf: StreamLabelsOf, escaped: number[]): boolean {
  const n = b.length;
  let i = ws(b, 0, n);
  if (b[i] !== 0x7b) return false;
  i = ws(b, i + 1, n);
  const ke = keyEnd(b, i, n);
  if (ke < 0 || !keyIs(b, i + 1, ke, KEY_STREAMS)) return false;
  i = ws(b, ke + 1, n);
  if (b[i] !== 0x3a) return false;
  i = ws(b, i + 1, n);
  if (b[i] !== 0x5b) return false;
  i = ws(b, i + 1, n);
  if (b[i] === 0x5d) {
    i++;
  } else {
    for (let si = 0; ; si++) {
      i = scanStream(b, i, n, si, out, labelsOf, escaped);
      if (i < 0) return false;
      i = ws(b, i, n);
      if (b[i] === 0x2c) {
        i = ws(b, i + 1, n);
        continue;
      }
      if (b[i] !== 0x5d) return false;
      i++;
      break;
    }
  }
  i = ws(b, i, n);
  if (b[i] !== 0x7d) return false;
  return ws(b, i + 1, n) === n;
}

// scanStream reads one stream object at b[i]; returns the index past it, or -1.
function scanStream(b: Buffer, i: number, n: number, si: number, out: LineBatchBuilder, labelsOf: StreamLabelsOf, escaped: number[]): number {
  if (b[i] !== 0x7b) return -1;
  i = ws(b, i + 1, n);
  let labelsStart = -1;
  let labelsEnd = -1;
  let values = false;
  // The run's labels are set once the stream object is read ("values" may come first).
  out.beginRun(PENDING);
  for (;;) {
    const ke = keyEnd(b, i, n);
    if (ke < 0) return -1;
    const ks = i + 1;
    i = ws(b, ke + 1, n);
    if (b[i] !== 0x3a) return -1;
    i = ws(b, i + 1, n);
    if (labelsStart < 0 && keyIs(b, ks, ke, KEY_STREAM)) {
      labelsStart = i;
      i = skipObject(b, i, n);
      if (i < 0) return -1;
      labelsEnd = i;
    } else if (!values && keyIs(b, ks, ke, KEY_VALUES)) {
      values = true;
      i = scanValues(b, i, n, out, escaped);
      if (i < 0) return -1;
    } else {
      return -1;
    }
    i = ws(b, i, n);
    if (b[i] === 0x2c) {
      i = ws(b, i + 1, n);
      continue;
    }
    if (b[i] !== 0x7d) return -1;
    i++;
    break;
  }
  if (labelsStart < 0 || !values) return -1;
  try {
    out.setRunLabels(labelsOf(b, labelsStart, labelsEnd, si));
  } catch {
    return -1;
  }
  return i;
}

// skipObject moves past the object at b[i] (of any content); returns the index past it, or -1.
function skipObject(b: Buffer, i: number, n: number): number {
  if (b[i] !== 0x7b) return -1;
  let depth = 0;
  while (i < n) {
    const c = b[i]!;
    if (c === 0x22) {
      i++;
      while (i < n && b[i] !== 0x22) i += b[i] === 0x5c ? 2 : 1;
      if (i >= n) return -1;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

// scanValues reads `[["<ns>","<line>"],…]` at b[i]; returns the index past it, or -1.
function scanValues(b: Buffer, i: number, n: number, out: LineBatchBuilder, escaped: number[]): number {
  if (b[i] !== 0x5b) return -1;
  i = ws(b, i + 1, n);
  if (b[i] === 0x5d) return i + 1;
  for (;;) {
    if (b[i] !== 0x5b) return -1;
    i = ws(b, i + 1, n);
    if (b[i] !== 0x22) return -1;
    // The timestamp: 1–19 digits, Unix nanoseconds.
    const ts = i + 1;
    let end = ts;
    while (end < n && b[end]! >= 0x30 && b[end]! <= 0x39) end++;
    const len = end - ts;
    if (len === 0 || len > 19 || b[end] !== 0x22) return -1;
    const split = len > 6 ? end - 6 : ts;
    let ms = 0;
    for (let j = ts; j < split; j++) ms = ms * 10 + (b[j]! - 0x30);
    let ns = 0;
    for (let j = split; j < end; j++) ns = ns * 10 + (b[j]! - 0x30);
    i = ws(b, end + 1, n);
    if (b[i] !== 0x2c) return -1;
    i = ws(b, i + 1, n);
    if (b[i] !== 0x22) return -1;
    // The line: plain bytes up to the closing quote; escapes checked here, decoded later.
    const start = ++i;
    let esc = false;
    for (;;) {
      while (i < n && STR[b[i]!] === 0) i++;
      if (i >= n) return -1;
      const c = b[i]!;
      if (c === 0x22) break;
      if (c !== 0x5c) return -1;
      esc = true;
      const e = b[i + 1];
      if (e === 0x75) {
        if (i + 5 >= n || HEX[b[i + 2]!] === 0 || HEX[b[i + 3]!] === 0 || HEX[b[i + 4]!] === 0 || HEX[b[i + 5]!] === 0) return -1;
        i += 6;
      } else if (e !== undefined && ESC[e] !== 0) {
        i += 2;
      } else {
        return -1;
      }
    }
    if (esc) escaped.push(out.count);
    out.addRange(ms, ns, start, i);
    i = ws(b, i + 1, n);
    if (b[i] !== 0x5d) return -1;
    i = ws(b, i + 1, n);
    if (b[i] === 0x2c) {
      i = ws(b, i + 1, n);
      continue;
    }
    if (b[i] !== 0x5d) return -1;
    return i + 1;
  }
}

// A placeholder for a run's labels until its stream object has been read.
const PENDING = undefined as unknown as Labels;

// unescapeInPlace decodes the JSON string text b[start, end) (escapes known to be valid) into
// UTF-8 at b[start…), the way JSON.parse then UTF-8 encoding would (a lone surrogate becomes
// U+FFFD), and returns the new end. Output never overtakes input: every escape shrinks.
function unescapeInPlace(b: Buffer, start: number, end: number): number {
  let w = start;
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c !== 0x5c) {
      b[w++] = c;
      i++;
      continue;
    }
    const e = b[i + 1]!;
    if (e !== 0x75) {
      b[w++] = ESC[e]!;
      i += 2;
      continue;
    }
    let cp = hex4(b, i + 2);
    i += 6;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= end && b[i] === 0x5c && b[i + 1] === 0x75) {
      const lo = hex4(b, i + 2);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i += 6;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) {
      b[w++] = cp;
    } else if (cp < 0x800) {
      b[w++] = 0xc0 | (cp >> 6);
      b[w++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      b[w++] = 0xe0 | (cp >> 12);
      b[w++] = 0x80 | ((cp >> 6) & 0x3f);
      b[w++] = 0x80 | (cp & 0x3f);
    } else {
      b[w++] = 0xf0 | (cp >> 18);
      b[w++] = 0x80 | ((cp >> 12) & 0x3f);
      b[w++] = 0x80 | ((cp >> 6) & 0x3f);
      b[w++] = 0x80 | (cp & 0x3f);
    }
  }
  return w;
}

function hex4(b: Buffer, i: number): number {
  return ((HEX[b[i]!]! - 1) << 12) | ((HEX[b[i + 1]!]! - 1) << 8) | ((HEX[b[i + 2]!]! - 1) << 4) | (HEX[b[i + 3]!]! - 1);
}
