/**
 * The server's composition root: builds storage, engines and HTTP routes from ServerOptions,
 * and runs them as one service group.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { HttpServer, Router, mountLifecycle, mountMetrics, mountPrometheusApi } from '../api/index.js';
import { loadConfigFile, parseConfig, type Config } from '../config/index.js';
import { formatDuration } from '../model/index.js';
import { LogfmtLogger, Registry, registerProcessMetrics, type Logger } from '../instrument/index.js';
import { Db } from '../tsdb/index.js';
import { Engine } from '../promql/index.js';
import { LogsPipeline } from './logs-pipeline.js';
import { resolveFqdn } from '../scrape/index.js';
import { MetricsPipeline } from './metrics-pipeline.js';
import { upAgentService } from './cmd-agent.js';
import { runGroup, type Service } from './service-group.js';
import type { ServerOptions } from './server-flags.js';
import { VERSION } from './version.js';

/** ServerApp is a built, not yet running, server. */
export interface ServerApp {
  readonly log: Logger;
  /** run serves until signal aborts. */
  run(signal: AbortSignal): Promise<void>;
  /** reload re-reads the configuration file and applies it. */
  reload(): Promise<void>;
}

/** buildServer wires every component for `vigil server` / `vigil up`. */
export async function buildServer(opts: ServerOptions, mode: 'server' | 'up', flagValues: Readonly<Record<string, string>> = {}): Promise<ServerApp> {
  const log = new LogfmtLogger({ level: opts.logLevel, format: opts.logFormat });
  for (const d of [opts.dataDir, opts.tsdbPath, opts.logsPath, opts.statePath]) mkdirSync(d, { recursive: true });
  const registry = new Registry();
  registerProcessMetrics(registry);
  registry
    .gauge({ name: 'vigil_build_info', help: 'A metric with a constant 1 value labelled by the version vigil was built from.', labelNames: ['version', 'mode'] })
    .labels(VERSION, mode)
    .set(1);

  let ready = false;
  const ac = new AbortController();
  const storage = await Db.open({
    dir: opts.tsdbPath,
    retentionMs: opts.retentionMs,
    retentionBytes: opts.retentionBytes,
    registry,
    onWarning: (m) => log.warn('tsdb', { msg: m }),
  });
  for (const w of storage.warnings()) log.warn('tsdb opened with a problem', { problem: w });
  let listen = opts.listenAddress;
  const loadConfig = async (): Promise<Config> =>
    opts.configFile !== undefined ? loadConfigFile(opts.configFile) : parseConfig(defaultConfigYaml(listen), '(built-in)');
  let config = await loadConfig();
  const pipeline = new MetricsPipeline({ appendable: storage, registry, log, config, fqdn: await resolveFqdn() });
  const logs = await LogsPipeline.open({
    dir: opts.logsPath,
    config,
    registry,
    log,
    tcpAddress: opts.logsTcpAddress,
    tcpAddressExplicit: opts.logsTcpAddressExplicit,
    syslogAddress: opts.logsSyslogAddress,
    syslogAddressExplicit: opts.logsSyslogAddressExplicit,
    ...(opts.logsRetentionMs !== undefined ? { retentionMs: opts.logsRetentionMs } : {}),
    ...(opts.logsRetentionBytes !== undefined ? { retentionBytes: opts.logsRetentionBytes } : {}),
  });
  const reloadOk = registry.gauge({ name: 'prometheus_config_last_reload_successful', help: 'Whether the last configuration reload attempt was successful.' }).labels();
  const reloadTs = registry.gauge({ name: 'prometheus_config_last_reload_success_timestamp_seconds', help: 'Timestamp of the last successful configuration reload.' }).labels();
  const reload = async (): Promise<void> => {
    try {
      config = await loadConfig();
      await pipeline.apply(config);
      await logs.apply(config);
      reloadOk.set(1);
      lastReloadOk = true;
      lastConfigTime = Date.now();
      reloadTs.set(Math.floor(lastConfigTime / 1000));
      log.info('completed loading of configuration file', { filename: config.filename });
    } catch (e) {
      reloadOk.set(0);
      lastReloadOk = false;
      throw e;
    }
  };

  const engine = new Engine({
    queryable: storage,
    lookbackDeltaMs: opts.lookbackDeltaMs,
    maxSamples: opts.queryMaxSamples,
    timeoutMs: opts.queryTimeoutMs,
    registry,
  });
  const startTime = Date.now();
  let lastConfigTime = 0;
  let lastReloadOk = false;

  const router = new Router();
  mountLifecycle(router, { enableLifecycle: opts.enableLifecycle, ready: () => ready, reload, quit: () => ac.abort() });
  mountMetrics(router, registry);
  mountPrometheusApi(router, {
    engine,
    queryable: storage,
    appendable: opts.enableRemoteWriteReceiver ? storage : undefined,
    targets: pipeline.scrape,
    config: () => config,
    flags: () => flagValues,
    runtime: () => ({
      startTime,
      reloadConfigSuccess: lastReloadOk,
      lastConfigTime,
      corruptionCount: storage.warnings().length,
      storageRetention: retentionText(opts),
    }),
    head: storage.head,
    ready: () => ready,
    lookbackDeltaMs: opts.lookbackDeltaMs,
    queryTimeoutMs: opts.queryTimeoutMs,
    registry,
    warmUp: true,
    onError: (message, fields) => log.error(message, Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]))),
  });
  const http = new HttpServer({
    listenAddress: opts.listenAddress,
    router,
    onError: (err, req) => log.error('HTTP handler failed', { path: req?.path, err: err instanceof Error ? err.message : String(err) }),
  });
  logs.mount(router, http, { ready: () => ready });

  const services: Service[] = [
    { name: 'http', run: (s) => http.run(s) },
    { name: 'scrape', run: (s) => pipeline.run(s) },
    { name: 'logs', run: (s) => logs.run(s) },
  ];
  // vigil up: the node agent runs in the same process, appending host and container metrics
  // straight into the TSDB and container events into the log store.
  if (mode === 'up') services.push(upAgentService({ appendable: storage, logger: log.with({ component: 'agent' }), eventSink: logs.eventSink, stateDir: opts.statePath }));

  return {
    log,
    reload,
    async run(signal: AbortSignal): Promise<void> {
      signal.addEventListener('abort', () => ac.abort(), { once: true });
      const addr = await http.listen();
      listen = `${addr.address}:${addr.port}`;
      log.info('vigil started', { version: VERSION, mode, listen });
      await reload();
      ready = true;
      try {
        await runGroup(services, ac.signal);
      } finally {
        try {
          await logs.close();
        } finally {
          await storage.close();
        }
      }
      log.info('vigil stopped');
    },
  };
}

/** defaultConfigYaml is the configuration used without --config.file: vigil scrapes itself. */
export function defaultConfigYaml(listenAddress: string): string {
  return [
    'global:',
    '  scrape_interval: 15s',
    '  evaluation_interval: 15s',
    'scrape_configs:',
    '  - job_name: vigil',
    '    static_configs:',
    `      - targets: [${JSON.stringify(listenAddress)}]`,
    '',
  ].join('\n');
}

function retentionText(opts: ServerOptions): string {
  const parts: string[] = [];
  if (opts.retentionMs > 0) parts.push(formatDuration(opts.retentionMs));
  if (opts.retentionBytes > 0) parts.push(`${opts.retentionBytes}B`);
  return parts.join(' or ');
}
