/**
 * The log side of `vigil agent` as an agent extension: `--logs.*` flags, and a LogForwarder
 * (journald, file globs, container output, CRI files, the shipper with its disk queue under
 * `<data.dir>`) that also ships the container events. Without a server to ship to, the log
 * side stays off.
 * @module
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LogForwarder, parseDockerHost, type LogForwarderOptions } from '../agent/index.js';
import { parseDuration } from '../model/index.js';
import type { AgentContext, AgentExtension } from './cmd-agent.js';
import { FlagError, bool, list, str, type FlagSpec, type ParsedFlags } from './flags.js';
import { VERSION } from './version.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'logs.server', kind: 'string', placeholder: 'URL', default: '', help: 'Where logs go (default --server): a vigil server, or a Loki with --logs.format=loki.' },
  { name: 'logs.format', kind: 'string', placeholder: 'FORMAT', default: 'vigil', help: 'vigil (POST /api/vigil/logs NDJSON) or loki (POST /loki/api/v1/push JSON).' },
  { name: 'logs.compression', kind: 'string', placeholder: 'ENCODING', default: 'gzip', help: 'Body encoding: gzip, snappy or none.' },
  { name: 'logs.ca-file', kind: 'string', placeholder: 'FILE', default: '', help: 'CA bundle that signs the server certificate (https).' },
  { name: 'logs.cert-file', kind: 'string', placeholder: 'FILE', default: '', help: 'Client certificate (with --logs.key-file) for servers that ask for one.' },
  { name: 'logs.key-file', kind: 'string', placeholder: 'FILE', default: '', help: 'Key of the client certificate.' },
  { name: 'logs.server-name', kind: 'string', placeholder: 'NAME', default: '', help: 'Name to check the server certificate against (default: the URL host).' },
  { name: 'logs.queue-max-bytes', kind: 'string', placeholder: 'SIZE', default: '256MB', help: 'Disk queue cap; past it the oldest batches are dropped and counted. Units B, KB, MB, GB.' },
  { name: 'logs.batch-max-bytes', kind: 'string', placeholder: 'SIZE', default: '1MB', help: 'Uncompressed size of one batch.' },
  { name: 'logs.flush-interval', kind: 'string', placeholder: 'DURATION', default: '1s', help: 'A batch is sent at the latest this long after its first entry.' },
  { name: 'logs.label', kind: 'list', placeholder: 'NAME=VALUE', help: 'Label of every log stream (repeatable; host=<hostname> is added unless given).' },
  { name: 'logs.journald', kind: 'bool', default: true, help: 'Ship the systemd journal (with --logs.journald.reader=journalctl: skipped when journalctl is missing, unless given explicitly).' },
  { name: 'logs.journald.reader', kind: 'string', placeholder: 'READER', default: 'files', help: 'Read the journal files directly ("files"; journalctl only as a fallback for files it cannot read) or through "journalctl".' },
  { name: 'logs.journald.directory', kind: 'string', placeholder: 'DIR', default: '', help: 'Journal files to read (e.g. the host /var/log/journal mounted in a container); default the system journal.' },
  { name: 'logs.journald.unit', kind: 'list', placeholder: 'UNIT', help: 'Only these units (repeatable).' },
  { name: 'logs.journald.max-age', kind: 'string', placeholder: 'DURATION', default: '12h', help: 'On the very first start, ship the journal back this far ("0s" for new entries only).' },
  { name: 'logs.file', kind: 'list', placeholder: 'GLOB', help: 'Follow the files matching this absolute glob (repeatable; *, ?, [..], **, {a,b}).' },
  { name: 'logs.file-exclude', kind: 'list', placeholder: 'GLOB', help: 'Leave out files matching this glob (repeatable).' },
  { name: 'logs.file.start-at', kind: 'string', placeholder: 'WHERE', default: 'end', help: 'On the very first start, read files present already from their "beginning" or "end".' },
  { name: 'logs.docker', kind: 'bool', default: true, help: 'Ship container output through the Docker API (skipped when the socket is missing, unless given explicitly).' },
  { name: 'logs.docker.start-at', kind: 'string', placeholder: 'WHERE', default: 'end', help: 'On the very first start, ship running containers\' output from the "beginning" or from the "end".' },
  { name: 'logs.cri', kind: 'bool', default: false, help: 'Ship Kubernetes container logs from the kubelet\'s CRI files.' },
  { name: 'logs.cri.path', kind: 'list', placeholder: 'GLOB', help: 'CRI log files (default /var/log/containers/*.log).' },
];

const SIZE_UNITS: Readonly<Record<string, number>> = { B: 1, KB: 2 ** 10, MB: 2 ** 20, GB: 2 ** 30 };

function size(f: ParsedFlags, name: string): number {
  const s = str(f, name);
  const m = /^(\d+)(B|KB|MB|GB)$/.exec(s);
  if (m === null) throw new FlagError(`--${name}: invalid size "${s}": want a number with a unit B, KB, MB or GB`);
  return Number(m[1]) * SIZE_UNITS[m[2]!]!;
}

function duration(f: ParsedFlags, name: string): number {
  try {
    return parseDuration(str(f, name));
  } catch (e) {
    throw new FlagError(`--${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function where(f: ParsedFlags, name: string): 'beginning' | 'end' {
  const v = str(f, name);
  if (v !== 'beginning' && v !== 'end') throw new FlagError(`--${name}: want beginning or end, got "${v}"`);
  return v;
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, bin)));
}

/** logForwarderOptions turns the `--logs.*` flags into LogForwarder options; undefined when there is no server. */
export function logForwarderOptions(ctx: AgentContext): Omit<LogForwarderOptions, 'registry' | 'logger'> | undefined {
  const f = ctx.flags;
  const server = str(f, 'logs.server') || ctx.server;
  if (server === '') return undefined;
  const format = str(f, 'logs.format');
  if (format !== 'vigil' && format !== 'loki') throw new FlagError(`--logs.format: want vigil or loki, got "${format}"`);
  const compression = str(f, 'logs.compression');
  if (compression !== 'gzip' && compression !== 'snappy' && compression !== 'none') throw new FlagError(`--logs.compression: want gzip, snappy or none, got "${compression}"`);
  const labels: Record<string, string> = {};
  for (const kv of list(f, 'logs.label')) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new FlagError(`--logs.label: want NAME=VALUE, got "${kv}"`);
    labels[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const opt = (name: string): string | undefined => (str(f, name) === '' ? undefined : str(f, name));
  const queueMaxBytes = size(f, 'logs.queue-max-bytes');
  const out: { -readonly [K in keyof LogForwarderOptions]?: LogForwarderOptions[K] } = {
    dataDir: ctx.dataDir,
    host: ctx.hostname,
    ship: {
      url: server,
      format,
      compression,
      token: ctx.token === '' ? undefined : ctx.token,
      tls: { caFile: opt('logs.ca-file'), certFile: opt('logs.cert-file'), keyFile: opt('logs.key-file'), serverName: opt('logs.server-name') },
      queueMaxBytes,
      maxBatchBytes: size(f, 'logs.batch-max-bytes'),
      flushIntervalMs: duration(f, 'logs.flush-interval'),
      labels,
      headers: { 'user-agent': `vigil-agent/${VERSION}` },
    },
  };
  const explicit = (n: string): boolean => f.given.has(n);
  if (bool(f, 'logs.journald')) {
    const dir = opt('logs.journald.directory');
    const reader = str(f, 'logs.journald.reader');
    if (reader !== 'files' && reader !== 'journalctl') throw new FlagError(`--logs.journald.reader: want files or journalctl, got "${reader}"`);
    if (reader === 'files' || onPath('journalctl')) {
      const maxAge = duration(f, 'logs.journald.max-age');
      out.journald = {
        reader,
        ...(dir === undefined ? {} : { directory: dir }),
        units: list(f, 'logs.journald.unit'),
        startAt: maxAge === 0 ? 'end' : 'beginning',
        ...(maxAge === 0 ? {} : { maxAgeMs: maxAge }),
      };
    } else if (explicit('logs.journald')) {
      throw new FlagError('--logs.journald: journalctl is not on the PATH');
    }
  }
  const files = list(f, 'logs.file');
  if (files.length > 0) out.files = [{ include: files, exclude: list(f, 'logs.file-exclude'), startAt: where(f, 'logs.file.start-at'), labels: { job: 'varlogs' } }];
  if (bool(f, 'logs.docker')) {
    const host = str(f, 'docker.host');
    const ep = parseDockerHost(host === '' ? process.env.DOCKER_HOST : host, process.env);
    if (ep.kind !== 'unix' || existsSync(ep.socketPath) || explicit('logs.docker')) {
      out.docker = { ...(host === '' ? {} : { host }), startAt: where(f, 'logs.docker.start-at') };
    }
  }
  if (bool(f, 'logs.cri')) {
    const paths = list(f, 'logs.cri.path');
    out.cri = paths.length > 0 ? { include: paths } : {};
  }
  return out as Omit<LogForwarderOptions, 'registry' | 'logger'>;
}

/** LOGS_EXTENSION is the log side of `vigil agent`. */
export const LOGS_EXTENSION: AgentExtension = {
  flags: FLAGS,
  build(ctx) {
    const opts = logForwarderOptions(ctx);
    if (opts === undefined) {
      ctx.logger.info('no --server or --logs.server: the log side is off');
      return { services: [] };
    }
    const fwd = new LogForwarder({ ...opts, registry: ctx.registry, logger: ctx.logger });
    ctx.logger.info('log forwarding', { server: opts.ship.url, sources: fwd.sources.map((s) => s.name).join(',') });
    return { services: [fwd], eventSink: fwd.eventSink };
  },
};
