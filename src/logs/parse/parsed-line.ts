/**
 * ParsedLine: the common entry every format decodes into. One instance is reused line after
 * line by the parsers (no object per line); `toEntry()` copies it out.
 * @module
 */
import type { Level } from './level.js';

/** LogFormat names the format a line was recognized as (also the `format` label of the receive metrics). */
export const LogFormat = {
  /** Nothing recognized: the line unchanged, timestamp = arrival time. */
  Unknown: 'unknown',
  /** Plain text that starts with a timestamp in a common form (also Apache/nginx access logs). */
  Text: 'text',
  Json: 'json',
  Logfmt: 'logfmt',
  Klog: 'klog',
  Cri: 'cri',
  DockerJson: 'docker-json',
  JournalShort: 'journal-short',
  JournalJson: 'journal-json',
  JournalExport: 'journal-export',
  SyslogRfc3164: 'syslog-rfc3164',
  SyslogRfc5424: 'syslog-rfc5424',
  KubernetesAudit: 'k8s-audit',
} as const;

/** LogFormat is one of the values of the `LogFormat` object. */
export type LogFormat = (typeof LogFormat)[keyof typeof LogFormat];

/**
 * STREAM_LABEL_NAMES are the labels a parser may derive from a line, all low-cardinality:
 * `host` (journald `_HOSTNAME`, syslog HOSTNAME), `unit` (`_SYSTEMD_UNIT`), `identifier`
 * (`SYSLOG_IDENTIFIER`, syslog APP-NAME/TAG), `container` (`CONTAINER_NAME`), `stream`
 * (stdout/stderr of Docker and CRI lines) and `level` (normalized, see `Level`).
 */
export const STREAM_LABEL_NAMES = ['container', 'host', 'identifier', 'level', 'stream', 'unit'] as const;

/** StreamLabelName is one of STREAM_LABEL_NAMES. */
export type StreamLabelName = (typeof STREAM_LABEL_NAMES)[number];

/** ParsedEntry is a parsed line copied out of a ParsedLine; it is structurally a store LogEntry. */
export interface ParsedEntry {
  readonly t: number;
  readonly ns: number;
  readonly line: string;
  readonly fields?: Readonly<Record<string, string>>;
}

/**
 * ParsedLine holds the result of parsing one line or record: time (`t` Unix ms plus `ns`
 * nanoseconds past it, 0–999 999), the line text, stream labels ('' when absent),
 * structured fields and the detected format. Parsers overwrite it in place.
 */
export class ParsedLine {
  t = 0;
  ns = 0;
  line = '';
  format: LogFormat = LogFormat.Unknown;
  /** True when `t`/`ns` came from the line itself, false when they are the arrival time. */
  timed = false;
  level: Level | '' = '';
  host = '';
  unit = '';
  identifier = '';
  container = '';
  stream = '';
  /** For journal-short lines: where the message starts, the indent of its continuation lines. */
  indent = 0;
  /** For CRI `P` lines and Docker json-file lines without a trailing newline: more of this line follows. */
  partial = false;
  /** Structured fields, or undefined when there are none (the common case, to save an object). */
  fields: Record<string, string> | undefined = undefined;

  /** reset clears everything and sets the time to the arrival time `arrivalMs`. */
  reset(arrivalMs: number): void {
    this.t = arrivalMs;
    this.ns = 0;
    this.line = '';
    this.format = LogFormat.Unknown;
    this.timed = false;
    this.level = '';
    this.host = '';
    this.unit = '';
    this.identifier = '';
    this.container = '';
    this.stream = '';
    this.indent = 0;
    this.partial = false;
    this.fields = undefined;
  }

  /** setTime sets the line's own time. */
  setTime(t: number, ns: number): void {
    this.t = t;
    this.ns = ns;
    this.timed = true;
  }

  /** setField adds or replaces a structured field. */
  setField(name: string, value: string): void {
    (this.fields ??= {})[name] = value;
  }

  /** label returns the value of a stream label slot ('' when absent). */
  label(name: StreamLabelName): string {
    return this[name];
  }

  /** hasLabels tells whether any stream label other than `level` is set. */
  hasLabels(): boolean {
    return this.host !== '' || this.unit !== '' || this.identifier !== '' || this.container !== '' || this.stream !== '';
  }

  /** copyFrom makes this a copy of `o` (fields are shared, not cloned). */
  copyFrom(o: ParsedLine): void {
    this.t = o.t;
    this.ns = o.ns;
    this.line = o.line;
    this.format = o.format;
    this.timed = o.timed;
    this.level = o.level;
    this.host = o.host;
    this.unit = o.unit;
    this.identifier = o.identifier;
    this.container = o.container;
    this.stream = o.stream;
    this.indent = o.indent;
    this.partial = o.partial;
    this.fields = o.fields;
  }

  /** toEntry returns the entry to store: time, line and fields. */
  toEntry(): ParsedEntry {
    return this.fields === undefined ? { t: this.t, ns: this.ns, line: this.line } : { t: this.t, ns: this.ns, line: this.line, fields: this.fields };
  }
}
