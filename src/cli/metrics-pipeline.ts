/**
 * The metrics collection pipeline of the server: configuration → discovery → scrape →
 * storage, with reload. Built once; `apply(config)` reconfigures the running parts.
 * @module
 */
import type { Config } from '../config/index.js';
import { DiscoveryManager, createDiscoverer, type SDConfig } from '../discovery/index.js';
import type { Logger, Registry } from '../instrument/index.js';
import { ScrapeManager, jitterSeedFor } from '../scrape/index.js';
import type { Appendable } from '../storage/index.js';
import { VERSION } from './version.js';

/** MetricsPipeline owns the discovery and scrape managers. */
export class MetricsPipeline {
  readonly discovery: DiscoveryManager;
  readonly scrape: ScrapeManager;
  readonly #fqdn: string;

  /** `fqdn` is the host's name from resolveFqdn, which with the external labels fixes the scrape phase. */
  constructor(opts: { appendable: Appendable; registry: Registry; log: Logger; config: Config; fqdn?: string }) {
    const log = opts.log;
    this.#fqdn = opts.fqdn ?? '';
    this.discovery = new DiscoveryManager({
      jobs: sdJobs(opts.config),
      newDiscoverer: (c) => createDiscoverer(c, (e) => log.warn('discovery error', { err: e.message })),
      onError: (e, job) => log.warn('discovery failed', { job, err: e.message }),
    });
    this.scrape = new ScrapeManager({
      appendable: opts.appendable,
      registry: opts.registry,
      userAgent: `vigil/${VERSION}`,
      jitterSeed: jitterSeedFor(this.#fqdn, opts.config.global.externalLabels),
      onError: (e) => log.warn('scrape problem', { err: e.message }),
    });
  }

  /** apply reconfigures discovery and scraping from a (re)loaded configuration. */
  async apply(config: Config): Promise<void> {
    this.discovery.applyConfig(sdJobs(config));
    this.scrape.setJitterSeed(jitterSeedFor(this.#fqdn, config.global.externalLabels));
    await this.scrape.applyConfig(config.scrapeConfigs);
  }

  /** run discovers and scrapes until signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await this.scrape.run(signal, this.discovery.run(signal));
  }
}

function sdJobs(config: Config): Map<string, readonly SDConfig[]> {
  return new Map(config.scrapeConfigs.map((s) => [s.jobName, s.serviceDiscovery]));
}
