/**
 * A validating scanner for one JSON object per line that looks only at its top-level keys:
 * it finds the members a log parser needs (time, level, message, Docker's log/stream,
 * journald's markers, audit events' kind) without building the object, so a JSON line costs
 * one pass over its characters and a few substrings.
 * @module
 */

/** JsonValueKind is the type of a captured top-level value. */
export const JsonValueKind = { None: 0, String: 1, Number: 2, Other: 3 } as const;
/** JsonValueKind is one of the values of the `JsonValueKind` object. */
export type JsonValueKind = (typeof JsonValueKind)[keyof typeof JsonValueKind];

/** Slot numbers of the captured keys. */
export const JsonSlot = {
  Time: 0,
  Level: 1,
  Message: 2,
  DockerLog: 3,
  DockerStream: 4,
  DockerTime: 5,
  Kind: 6,
  ApiVersion: 7,
  StageTimestamp: 8,
  RequestReceivedTimestamp: 9,
} as const;
const SLOTS = 10;

/** Time keys in priority order; the first one present whose value parses wins. */
export const TIME_KEYS: readonly string[] = ['@timestamp', 'timestamp', 'time', 'ts', 'date', 'datetime', '@t', 'timeMillis', 't', 'asctime'];
/** Level keys in priority order. */
export const LEVEL_KEYS: readonly string[] = ['level', 'lvl', 'severity', 'loglevel', 'log.level', 'levelname', '@l', 'severity_text', 'priority'];
/** Message keys in priority order. */
export const MESSAGE_KEYS: readonly string[] = ['msg', 'message', '@m', '@mt', 'log'];

// What a known key is for.
const Mark = { Time: 1, Level: 2, Message: 3, Docker: 4, Journal: 5, Other: 6 } as const;

interface KeyInfo {
  readonly mark: number;
  readonly rank: number;
  readonly slot: number;
}

const KEYS = new Map<string, KeyInfo>();
TIME_KEYS.forEach((k, i) => KEYS.set(k, { mark: Mark.Time, rank: i, slot: JsonSlot.Time }));
LEVEL_KEYS.forEach((k, i) => KEYS.set(k, { mark: Mark.Level, rank: i, slot: JsonSlot.Level }));
MESSAGE_KEYS.forEach((k, i) => {
  if (k !== 'log') KEYS.set(k, { mark: Mark.Message, rank: i, slot: JsonSlot.Message });
});
KEYS.set('log', { mark: Mark.Docker, rank: 0, slot: JsonSlot.DockerLog });
KEYS.set('stream', { mark: Mark.Docker, rank: 0, slot: JsonSlot.DockerStream });
KEYS.set('attrs', { mark: Mark.Docker, rank: 0, slot: -1 });
KEYS.set('kind', { mark: Mark.Other, rank: 0, slot: JsonSlot.Kind });
KEYS.set('apiVersion', { mark: Mark.Other, rank: 0, slot: JsonSlot.ApiVersion });
KEYS.set('stageTimestamp', { mark: Mark.Other, rank: 0, slot: JsonSlot.StageTimestamp });
KEYS.set('requestReceivedTimestamp', { mark: Mark.Other, rank: 0, slot: JsonSlot.RequestReceivedTimestamp });
for (const k of ['__CURSOR', '__REALTIME_TIMESTAMP', '_SOURCE_REALTIME_TIMESTAMP', 'MESSAGE', 'PRIORITY', '_SYSTEMD_UNIT', '_HOSTNAME', 'SYSLOG_IDENTIFIER']) {
  KEYS.set(k, { mark: Mark.Journal, rank: 0, slot: -1 });
}
const MAX_KEY = Math.max(...[...KEYS.keys()].map((k) => k.length));
// Candidates by key length, so a key is matched with startsWith and no substring; the first
// character code is compared before calling startsWith.
const BY_LENGTH: [string, KeyInfo, number][][] = [];
for (const [k, info] of KEYS) (BY_LENGTH[k.length] ??= []).push([k, info, k.charCodeAt(0)]);

function findKey(s: string, ks: number, len: number): KeyInfo | undefined {
  const cands = BY_LENGTH[len];
  if (cands === undefined) return undefined;
  const c0 = s.charCodeAt(ks);
  for (let i = 0; i < cands.length; i++) {
    const c = cands[i]!;
    if (c[2] === c0 && s.startsWith(c[0], ks)) return c[1];
  }
  return undefined;
}

const MAX_TIME_CANDIDATES = 8;

/**
 * JsonLineScan scans a line that should hold exactly one JSON object. After `scan()`
 * returns true the captured spans describe the top-level members (time candidates are kept
 * in key-priority order); after false, `errorAt`/`error` say what is wrong.
 */
export class JsonLineScan {
  s = '';
  /** Number of top-level members. */
  members = 0;
  /** Top-level members whose key is not one of Docker's json-file keys (`log`, `stream`, `time`, `attrs`). */
  nonDockerMembers = 0;
  /** Whether journald-only keys (`__CURSOR`, `__REALTIME_TIMESTAMP`, `MESSAGE`+`PRIORITY`…) appeared. */
  journalMarkers = 0;
  hasJournalMessage = false;
  hasPriority = false;
  errorAt = -1;
  error = '';
  readonly start = new Int32Array(SLOTS);
  readonly end = new Int32Array(SLOTS);
  readonly kind = new Uint8Array(SLOTS);
  readonly escaped = new Uint8Array(SLOTS);
  readonly rank = new Int32Array(SLOTS);
  /** Time candidates: value spans of the time keys (the first 8), in the order the keys appeared. */
  timeCount = 0;
  readonly timeStarts = new Int32Array(MAX_TIME_CANDIDATES);
  readonly timeEnds = new Int32Array(MAX_TIME_CANDIDATES);
  readonly timeKinds = new Uint8Array(MAX_TIME_CANDIDATES);
  readonly timeRanks = new Int32Array(MAX_TIME_CANDIDATES);
  readonly timeEscaped = new Uint8Array(MAX_TIME_CANDIDATES);
  #i = 0;

  /** scan reads `s`; true when it is one JSON object, optionally surrounded by whitespace. */
  scan(s: string): boolean {
    this.s = s;
    this.members = 0;
    this.nonDockerMembers = 0;
    this.journalMarkers = 0;
    this.hasJournalMessage = false;
    this.hasPriority = false;
    this.errorAt = -1;
    this.error = '';
    this.kind.fill(0);
    this.rank.fill(0x7fffffff);
    this.timeCount = 0;
    this.#bs = s.indexOf('\\');
    let i = this.#ws(0);
    if (s.charCodeAt(i) !== 123) return this.#fail(i, 'expected {');
    i = this.#ws(i + 1);
    if (s.charCodeAt(i) === 125) {
      i = this.#ws(i + 1);
      return i === s.length ? true : this.#fail(i, 'data after the object');
    }
    for (;;) {
      if (s.charCodeAt(i) !== 34) return this.#fail(i, 'expected a string key');
      const ks = i + 1;
      const ke = this.#string(ks);
      if (ke < 0) return false;
      // Loggers write no whitespace between tokens: #ws only when there is some.
      i = ke + 1;
      if (s.charCodeAt(i) <= 32) i = this.#ws(i);
      if (s.charCodeAt(i) !== 58) return this.#fail(i, 'expected :');
      i++;
      let c = s.charCodeAt(i);
      if (c <= 32) {
        i = this.#ws(i);
        c = s.charCodeAt(i);
      }
      const vs = i;
      let vk: number;
      let vStart = vs;
      let vEnd: number;
      let esc = 0;
      if (c === 34) {
        const e = this.#string(i + 1);
        if (e < 0) return false;
        vk = JsonValueKind.String;
        vStart = i + 1;
        vEnd = e;
        esc = this.#lastEscaped ? 1 : 0;
        i = e + 1;
      } else if (c === 45 || (c >= 48 && c <= 57)) {
        const e = this.#number(i);
        if (e < 0) return false;
        vk = JsonValueKind.Number;
        vEnd = e;
        i = e;
      } else {
        const e = this.#value(i);
        if (e < 0) return false;
        vk = JsonValueKind.Other;
        vEnd = e;
        i = e;
      }
      this.members++;
      this.#member(ks, ke, vk, vStart, vEnd, esc);
      let d = s.charCodeAt(i);
      if (d <= 32) {
        i = this.#ws(i);
        d = s.charCodeAt(i);
      }
      if (d === 44) {
        i++;
        if (s.charCodeAt(i) <= 32) i = this.#ws(i);
        continue;
      }
      if (d === 125) {
        i = this.#ws(i + 1);
        return i === s.length ? true : this.#fail(i, 'data after the object');
      }
      return this.#fail(i, Number.isNaN(d) ? 'unexpected end (truncated JSON?)' : 'expected , or }');
    }
  }

  /** value returns the captured value of a slot, unescaped for strings, or undefined. */
  value(slot: number): string | undefined {
    const k = this.kind[slot]!;
    if (k === JsonValueKind.None) return undefined;
    const raw = this.s.slice(this.start[slot]!, this.end[slot]!);
    if (k !== JsonValueKind.String || this.escaped[slot] === 0) return raw;
    return JSON.parse('"' + raw + '"') as string;
  }

  /** timeValue returns the i-th time candidate's text (unescaped). */
  timeValue(i: number): string {
    const raw = this.s.slice(this.timeStarts[i]!, this.timeEnds[i]!);
    return this.timeEscaped[i] === 0 ? raw : (JSON.parse('"' + raw + '"') as string);
  }

  #member(ks: number, ke: number, vk: number, vs: number, ve: number, esc: number): void {
    const len = ke - ks;
    const s = this.s;
    const info = len <= MAX_KEY && len > 0 ? findKey(s, ks, len) : undefined;
    const isTimeKey = info !== undefined && info.mark === Mark.Time;
    if (!(info !== undefined && (info.mark === Mark.Docker || (isTimeKey && len === 4 && s.startsWith('time', ks))))) this.nonDockerMembers++;
    if (info === undefined) return;
    switch (info.mark) {
      case Mark.Time: {
        const n = this.timeCount;
        if (n < MAX_TIME_CANDIDATES) {
          this.timeStarts[n] = vs;
          this.timeEnds[n] = ve;
          this.timeKinds[n] = vk;
          this.timeRanks[n] = info.rank;
          this.timeEscaped[n] = esc;
          this.timeCount = n + 1;
        }
        if (len === 4 && s.startsWith('time', ks)) this.#capture(JsonSlot.DockerTime, 0, vk, vs, ve, esc);
        return;
      }
      case Mark.Journal:
        if (s.startsWith('MESSAGE', ks) && len === 7) this.hasJournalMessage = true;
        else if (s.startsWith('PRIORITY', ks) && len === 8) this.hasPriority = true;
        else if (s.charCodeAt(ks) === 95) this.journalMarkers++;
        return;
      default:
        if (info.slot >= 0) this.#capture(info.slot, info.rank, vk, vs, ve, esc);
    }
  }

  #capture(slot: number, rank: number, vk: number, vs: number, ve: number, esc: number): void {
    // A better-ranked key was captured: keep it. The same key again replaces its value (the last one counts, as for JSON.parse).
    if (rank > this.rank[slot]!) return;
    this.rank[slot] = rank;
    this.kind[slot] = vk;
    this.start[slot] = vs;
    this.end[slot] = ve;
    this.escaped[slot] = esc;
  }

  #fail(i: number, msg: string): false {
    if (this.errorAt < 0) {
      this.errorAt = i;
      this.error = i >= this.s.length && msg !== 'expected {' ? 'unexpected end (truncated JSON?)' : msg;
    }
    return false;
  }

  #ws(i: number): number {
    const s = this.s;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else return i;
    }
  }

  #lastEscaped = false;
  // Position of the next backslash at or after the scan position, or -1 when there is none left.
  #bs = -1;

  /** Scans a string body starting after the opening quote; returns the index of the closing quote or -1. */
  #string(i: number): number {
    const s = this.s;
    let bs = this.#bs;
    if (bs !== -1 && bs < i) bs = this.#bs = s.indexOf('\\', i);
    let q = s.indexOf('"', i);
    if (q < 0) return this.#fail(s.length, 'unterminated string') ? -1 : -1;
    // No backslash before the first quote: that quote ends the string (the common case).
    if (bs === -1 || bs > q) {
      this.#lastEscaped = false;
      return q;
    }
    this.#lastEscaped = true;
    for (;;) {
      let n = 0;
      for (let k = q - 1; k >= i && s.charCodeAt(k) === 92; k--) n++;
      if ((n & 1) === 0) return q;
      q = s.indexOf('"', q + 1);
      if (q < 0) return this.#fail(s.length, 'unterminated string') ? -1 : -1;
    }
  }

  #number(i: number): number {
    const s = this.s;
    let j = i;
    if (s.charCodeAt(j) === 45) j++;
    const d0 = j;
    while (isDigit(s.charCodeAt(j))) j++;
    if (j === d0) return this.#fail(j, 'bad number') ? -1 : -1;
    if (s.charCodeAt(j) === 46) {
      j++;
      const f0 = j;
      while (isDigit(s.charCodeAt(j))) j++;
      if (j === f0) return this.#fail(j, 'bad number') ? -1 : -1;
    }
    const e = s.charCodeAt(j);
    if (e === 101 || e === 69) {
      j++;
      const sg = s.charCodeAt(j);
      if (sg === 43 || sg === 45) j++;
      const e0 = j;
      while (isDigit(s.charCodeAt(j))) j++;
      if (j === e0) return this.#fail(j, 'bad number') ? -1 : -1;
    }
    return j;
  }

  /**
   * Skips an object or array at i by brackets and strings only (the members of nested values
   * are not validated, for speed; a cut-off line still fails on its unbalanced brackets).
   * Returns its end or -1.
   */
  #skipNested(i: number): number {
    const s = this.s;
    const n = s.length;
    let depth = 0;
    for (let j = i; j < n; j++) {
      const c = s.charCodeAt(j);
      if (c === 34) {
        const e = this.#string(j + 1);
        if (e < 0) return -1;
        j = e;
      } else if (c === 123 || c === 91) {
        if (++depth > 512) return this.#fail(j, 'nested too deeply') ? -1 : -1;
      } else if (c === 125 || c === 93) {
        if (--depth === 0) return j + 1;
      }
    }
    return this.#fail(n, 'unexpected end (truncated JSON?)') ? -1 : -1;
  }

  /** Skips any value at i; returns its end or -1. */
  #value(i: number): number {
    const s = this.s;
    const c = s.charCodeAt(i);
    if (c === 34) {
      const e = this.#string(i + 1);
      return e < 0 ? -1 : e + 1;
    }
    if (c === 45 || isDigit(c)) return this.#number(i);
    if (c === 116) return s.startsWith('true', i) ? i + 4 : this.#fail(i, 'bad literal') ? -1 : -1;
    if (c === 102) return s.startsWith('false', i) ? i + 5 : this.#fail(i, 'bad literal') ? -1 : -1;
    if (c === 110) return s.startsWith('null', i) ? i + 4 : this.#fail(i, 'bad literal') ? -1 : -1;
    if (c === 123 || c === 91) return this.#skipNested(i);
    return this.#fail(i, Number.isNaN(c) ? 'unexpected end (truncated JSON?)' : 'unexpected character') ? -1 : -1;
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
