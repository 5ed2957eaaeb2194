/**
 * Flags of `vigil server` and `vigil up`: Prometheus's where they mean the same thing, plus
 * vigil's own.
 * @module
 */
import { join } from 'node:path';
import { parseDuration } from '../model/index.js';
import { FlagError, bool, str, type FlagSpec, type ParsedFlags } from './flags.js';

/** SERVER_FLAGS lists every flag of `vigil server` / `vigil up`. */
export const SERVER_FLAGS: readonly FlagSpec[] = [
  { name: 'config.file', kind: 'string', placeholder: 'FILE', help: 'Prometheus-format configuration file; without it vigil scrapes itself.' },
  { name: 'data.dir', kind: 'string', placeholder: 'DIR', default: './data', help: 'Root of everything vigil keeps: metrics/, logs/, state/.' },
  { name: 'storage.tsdb.path', kind: 'string', placeholder: 'DIR', help: 'Metrics storage folder (default: <data.dir>/metrics).' },
  { name: 'storage.tsdb.retention.time', kind: 'string', placeholder: 'DURATION', default: '15d', help: 'How long to keep samples.' },
  { name: 'storage.tsdb.retention.size', kind: 'string', placeholder: 'SIZE', default: '0', help: 'Maximum bytes of blocks to keep (0: no limit), units B, KB, MB, GB, TB, PB, EB.' },
  { name: 'web.listen-address', kind: 'string', placeholder: 'HOST:PORT', default: '127.0.0.1:9700', help: 'Address of every HTTP API (Prometheus, Loki, log ingest, lifecycle, /metrics).' },
  { name: 'web.enable-lifecycle', kind: 'bool', default: false, help: 'Allow shutdown and reload over HTTP (POST /-/reload, /-/quit).' },
  { name: 'web.enable-remote-write-receiver', kind: 'bool', default: true, help: 'Accept Prometheus remote write at /api/v1/write.' },
  { name: 'query.timeout', kind: 'string', placeholder: 'DURATION', default: '2m', help: 'Maximum time a query may take before it is aborted.' },
  { name: 'query.max-samples', kind: 'string', placeholder: 'N', default: '50000000', help: 'Maximum samples a single query may load into memory.' },
  { name: 'query.lookback-delta', kind: 'string', placeholder: 'DURATION', default: '5m', help: 'How far back to look for a sample at each evaluation step.' },
  { name: 'logs.path', kind: 'string', placeholder: 'DIR', help: 'Log storage folder (default: <data.dir>/logs).' },
  { name: 'logs.retention.time', kind: 'string', placeholder: 'DURATION', help: 'How long to keep logs of apps without their own retention (default: logs.retention of the config file, else 30d; 0 keeps them forever).' },
  { name: 'logs.retention.size', kind: 'string', placeholder: 'SIZE', help: 'Most bytes of chunks to keep per app without its own bound (default: logs.retention_size of the config file, else 0: no limit).' },
  { name: 'logs.tcp-listen-address', kind: 'string', placeholder: 'HOST:PORT', default: '127.0.0.1:9000', help: 'Newline-delimited log receiver ("" disables); overrides the first logs.tcp listener of the config file.' },
  { name: 'logs.syslog-listen-address', kind: 'string', placeholder: 'HOST:PORT', default: '127.0.0.1:5514', help: 'Syslog receiver, UDP and TCP ("" disables); overrides the first logs.syslog listener of the config file.' },
  { name: 'log.level', kind: 'string', placeholder: 'LEVEL', default: 'info', help: 'Only log messages at this level or above: debug, info, warn, error.' },
  { name: 'log.format', kind: 'string', placeholder: 'FORMAT', default: 'logfmt', help: 'Log line format: logfmt or json.' },
  { name: 'help', kind: 'bool', default: false, help: 'Show this help.' },
];

/** ServerOptions are the parsed and validated flags. */
export interface ServerOptions {
  readonly configFile: string | undefined;
  readonly dataDir: string;
  readonly tsdbPath: string;
  readonly logsPath: string;
  readonly statePath: string;
  readonly retentionMs: number;
  readonly retentionBytes: number;
  readonly listenAddress: string;
  readonly enableLifecycle: boolean;
  readonly enableRemoteWriteReceiver: boolean;
  readonly queryTimeoutMs: number;
  readonly queryMaxSamples: number;
  readonly lookbackDeltaMs: number;
  /** The TCP log listener's address from the flag (or its default). */
  readonly logsTcpAddress: string;
  /** Whether --logs.tcp-listen-address was given (then it wins over the config file). */
  readonly logsTcpAddressExplicit: boolean;
  readonly logsSyslogAddress: string;
  readonly logsSyslogAddressExplicit: boolean;
  /** --logs.retention.time when given (ms; 0 keeps forever). */
  readonly logsRetentionMs: number | undefined;
  /** --logs.retention.size when given (bytes; 0 no limit). */
  readonly logsRetentionBytes: number | undefined;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly logFormat: 'logfmt' | 'json';
}

const SIZE_UNITS: Record<string, number> = { B: 1, KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30, TB: 2 ** 40, PB: 2 ** 50, EB: 2 ** 60 };

/** parseSize parses Prometheus's byte sizes (`512MB`, `10GB`; powers of 1024 as Prometheus uses). */
export function parseSize(s: string): number {
  if (s === '0') return 0;
  const m = /^(\d+)(B|KB|MB|GB|TB|PB|EB)$/.exec(s);
  if (m === null) throw new FlagError(`invalid size "${s}": want a number with a unit B, KB, MB, GB, TB, PB or EB`);
  return Number(m[1]) * SIZE_UNITS[m[2]!]!;
}

function duration(f: ParsedFlags, name: string): number {
  try {
    return parseDuration(str(f, name));
  } catch (e) {
    throw new FlagError(`--${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function sizeFlag(f: ParsedFlags, name: string): number {
  try {
    return parseSize(str(f, name));
  } catch (e) {
    throw new FlagError(`--${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// A listener address: host:port (IPv6 in brackets) or "" (disabled).
function listenAddress(f: ParsedFlags, name: string): string {
  const v = str(f, name);
  const m = /^(?:\[[^\]]+\]|[^:[\]]*):(\d+)$/.exec(v);
  if (v !== '' && (m === null || Number(m[1]) > 65535)) throw new FlagError(`--${name}: invalid address "${v}": want host:port, or "" to disable`);
  return v;
}

/** serverOptions validates parsed flags. */
export function serverOptions(f: ParsedFlags): ServerOptions {
  const dataDir = str(f, 'data.dir');
  const level = str(f, 'log.level');
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new FlagError(`--log.level: invalid level "${level}"`);
  const format = str(f, 'log.format');
  if (!['logfmt', 'json'].includes(format)) throw new FlagError(`--log.format: invalid format "${format}"`);
  const maxSamples = Number(str(f, 'query.max-samples'));
  if (!Number.isSafeInteger(maxSamples) || maxSamples <= 0) throw new FlagError('--query.max-samples: want a positive integer');
  return {
    configFile: str(f, 'config.file') || undefined,
    dataDir,
    tsdbPath: str(f, 'storage.tsdb.path') || join(dataDir, 'metrics'),
    logsPath: str(f, 'logs.path') || join(dataDir, 'logs'),
    statePath: join(dataDir, 'state'),
    retentionMs: duration(f, 'storage.tsdb.retention.time'),
    retentionBytes: parseSize(str(f, 'storage.tsdb.retention.size')),
    listenAddress: str(f, 'web.listen-address'),
    enableLifecycle: bool(f, 'web.enable-lifecycle'),
    enableRemoteWriteReceiver: bool(f, 'web.enable-remote-write-receiver'),
    queryTimeoutMs: duration(f, 'query.timeout'),
    queryMaxSamples: maxSamples,
    lookbackDeltaMs: duration(f, 'query.lookback-delta'),
    logsTcpAddress: listenAddress(f, 'logs.tcp-listen-address'),
    logsTcpAddressExplicit: f.given.has('logs.tcp-listen-address'),
    logsSyslogAddress: listenAddress(f, 'logs.syslog-listen-address'),
    logsSyslogAddressExplicit: f.given.has('logs.syslog-listen-address'),
    logsRetentionMs: str(f, 'logs.retention.time') === '' ? undefined : duration(f, 'logs.retention.time'),
    logsRetentionBytes: str(f, 'logs.retention.size') === '' ? undefined : sizeFlag(f, 'logs.retention.size'),
    logLevel: level as ServerOptions['logLevel'],
    logFormat: format as ServerOptions['logFormat'],
  };
}
