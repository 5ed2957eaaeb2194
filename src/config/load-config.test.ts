import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './index.js';

describe('parseConfig', () => {
  it('applies Prometheus defaults to an empty file', () => {
    const c = parseConfig('', '/etc/vigil/prometheus.yml');
    expect(c.global).toMatchObject({ scrapeIntervalMs: 60_000, scrapeTimeoutMs: 10_000, evaluationIntervalMs: 60_000, queryLogFile: '' });
    expect(c.scrapeConfigs).toEqual([]);
    expect(c.storage.maxExemplars).toBe(100_000);
    expect(c.tracing).toBeUndefined();
  });

  it('inherits interval and timeout from global, capping the timeout at the interval', () => {
    const c = parseConfig('global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: a\n  - job_name: b\n    scrape_interval: 1m\n', 'p.yml');
    expect(c.global.scrapeTimeoutMs).toBe(5000);
    expect(c.scrapeConfigs.map((s) => [s.scrapeIntervalMs, s.scrapeTimeoutMs])).toEqual([[5000, 5000], [60_000, 5000]]);
  });

  it('fills scrape defaults', () => {
    const [s] = parseConfig('scrape_configs:\n  - job_name: a\n', 'p.yml').scrapeConfigs;
    expect(s).toMatchObject({ metricsPath: '/metrics', scheme: 'http', honorLabels: false, honorTimestamps: true, sampleLimit: 0, bodySizeLimitBytes: 0, httpClient: { followRedirects: true, enableHttp2: true }, serviceDiscovery: [] });
  });

  it('resolves relative paths against the file folder', () => {
    const c = parseConfig(
      'rule_files: [rules/*.yml, /abs/r.yml]\nscrape_configs:\n  - job_name: a\n    bearer_token_file: tok\n    tls_config: {ca_file: ca.pem}\n    file_sd_configs:\n      - files: [sd/*.json]\n',
      '/etc/vigil/prometheus.yml',
    );
    expect(c.ruleFiles).toEqual(['/etc/vigil/rules/*.yml', '/abs/r.yml']);
    const s = c.scrapeConfigs[0]!;
    expect(s.httpClient.authorization).toEqual({ type: 'Bearer', credentialsFile: '/etc/vigil/tok' });
    expect(s.httpClient.tlsConfig).toEqual({ caFile: '/etc/vigil/ca.pem' });
    expect(s.serviceDiscovery).toEqual([{ kind: 'file', files: ['/etc/vigil/sd/*.json'], refreshIntervalMs: 300_000 }]);
  });

  it('decodes sizes, params and static groups', () => {
    const c = parseConfig("scrape_configs:\n  - job_name: a\n    body_size_limit: 1.5KB\n    params: {m: [x, y]}\n    static_configs:\n      - targets: ['h:1']\n        labels: {env: prod}\n", 'p.yml');
    const s = c.scrapeConfigs[0]!;
    expect(s.bodySizeLimitBytes).toBe(1536);
    expect(s.params).toEqual({ m: ['x', 'y'] });
    const sd = s.serviceDiscovery[0]!;
    expect(sd.kind).toBe('static');
    if (sd.kind === 'static') {
      expect(sd.groups[0]!.source).toBe('0');
      expect(sd.groups[0]!.targets[0]!.toObject()).toEqual({ __address__: 'h:1' });
      expect(sd.groups[0]!.labels.toObject()).toEqual({ env: 'prod' });
    }
  });

  it('reports position and key', () => {
    try {
      parseConfig('scrape_configs:\n  - job_name: a\n    scrape_intervall: 5s\n', 'prometheus.yml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).message).toBe('prometheus.yml:3:5: scrape_intervall: field scrape_intervall not found in type config.ScrapeConfig');
    }
  });

  it('refuses alias bombs within the limits', () => {
    const rules = Array.from({ length: 200 }, (_, i) => (i === 0 ? '      - &r {action: drop, source_labels: [a], regex: x}\n' : '      - *r\n')).join('');
    const text = `scrape_configs:\n  - job_name: a\n    relabel_configs:\n${rules}`;
    expect(parseConfig(text, 'p.yml').scrapeConfigs[0]!.relabelConfigs).toHaveLength(200);
    expect(() => parseConfig(text, 'p.yml', { limits: { maxBytes: 1 << 20, maxAliases: 50, maxNodes: 1_000_000 } })).toThrow(/too many alias expansions.*YAML bomb/);
    expect(() => parseConfig(text, 'p.yml', { limits: { maxBytes: 1 << 20, maxAliases: 10_000, maxNodes: 100 } })).toThrow(/more than 100 nodes/);
    expect(() => parseConfig('x'.repeat(2000), 'p.yml', { limits: { maxBytes: 1000, maxAliases: 1, maxNodes: 1 } })).toThrow(/more than the limit/);
  });

  it.each([
    ['a struct', '&a\n<<: *a\n'],
    ['a label map', 'global:\n  external_labels: &l\n    <<: *l\n'],
    ['through another mapping', 'x: &x {<<: *y}\n'],
  ])('refuses a mapping that merges itself (%s) with an error, not a stack overflow', (_name, text) => {
    expect(() => parseConfig(text, 'p.yml')).toThrow(ConfigError);
  });

  it('never throws anything but ConfigError on arbitrary input', () => {
    const pieces = fc.constantFrom('scrape_configs:', '  - job_name: a', 'global:', '  scrape_interval: 5s', '    relabel_configs:', '      - action: drop', '[', '&a', '*a', '<<: *a', '{', 'x: 1', '  ', '-', ': :', 'static_configs: [{targets: [a]}]');
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string({ maxLength: 12 })), { maxLength: 12 }), (lines) => {
        try {
          parseConfig(lines.join('\n'), 'fuzz.yml');
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
