import { describe, expect, it } from 'vitest';
import { Labels } from '../model/index.js';
import { TargetLabelsError, newRelabelConfig, populateLabels, splitHostPort, targetURL } from './index.js';
import type { RawRelabelConfig, TargetDefaults } from './index.js';

const defaults: TargetDefaults = { jobName: 'job1', scheme: 'http', metricsPath: '/metrics', scrapeIntervalMs: 60_000, scrapeTimeoutMs: 10_000, params: {} };

interface Case {
  readonly name: string;
  readonly input: Record<string, string>;
  readonly cfgs?: readonly RawRelabelConfig[];
  readonly defaults?: Partial<TargetDefaults>;
  readonly labels?: Record<string, string> | 'dropped';
  readonly internal?: Record<string, string>;
  readonly discovered?: Record<string, string>;
  readonly error?: RegExp;
}

const cases: readonly Case[] = [
  {
    name: 'defaults and instance',
    input: { __address__: '1.2.3.4:1000', custom: 'value' },
    labels: { custom: 'value', instance: '1.2.3.4:1000', job: 'job1' },
    internal: { __address__: '1.2.3.4:1000', __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '1m', __scrape_timeout__: '10s', custom: 'value', instance: '1.2.3.4:1000', job: 'job1' },
    discovered: { __address__: '1.2.3.4:1000', __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '1m', __scrape_timeout__: '10s', custom: 'value', job: 'job1' },
  },
  { name: 'discovered labels win over defaults', input: { __address__: 'h:1', __scheme__: 'https', job: 'j2', __metrics_path__: '/x' }, labels: { instance: 'h:1', job: 'j2' }, internal: { __address__: 'h:1', __metrics_path__: '/x', __scheme__: 'https', __scrape_interval__: '1m', __scrape_timeout__: '10s', instance: 'h:1', job: 'j2' } },
  { name: 'instance kept when set', input: { __address__: 'h:1', instance: 'mine' }, labels: { instance: 'mine', job: 'job1' } },
  { name: 'http default port', input: { __address__: 'h' }, labels: { instance: 'h:80', job: 'job1' } },
  { name: 'https default port', input: { __address__: 'h', __scheme__: 'https' }, labels: { instance: 'h:443', job: 'job1' } },
  { name: 'ipv6 default port', input: { __address__: '[::1]' }, labels: { instance: '[::1]:80', job: 'job1' } },
  { name: 'meta labels dropped after relabeling', input: { __address__: 'h:1', __meta_foo: 'bar', __tmp_x: 'y' }, cfgs: [{ source_labels: ['__meta_foo'], target_label: 'foo' }], labels: { foo: 'bar', instance: 'h:1', job: 'job1' } },
  { name: 'tmp labels stay internal', input: { __address__: 'h:1', __tmp_x: 'y' }, internal: { __address__: 'h:1', __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '1m', __scrape_timeout__: '10s', __tmp_x: 'y', instance: 'h:1', job: 'job1' } },
  { name: 'params become labels', input: { __address__: 'h:1' }, defaults: { params: { module: ['a', 'b'], empty: [] } }, discovered: { __address__: 'h:1', __metrics_path__: '/metrics', __param_module: 'a', __scheme__: 'http', __scrape_interval__: '1m', __scrape_timeout__: '10s', job: 'job1' } },
  { name: 'dropped by relabeling', input: { __address__: 'h:1' }, cfgs: [{ action: 'drop', source_labels: ['__address__'] }], labels: 'dropped', discovered: { __address__: 'h:1', __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '1m', __scrape_timeout__: '10s', job: 'job1' } },
  { name: 'address from relabeling', input: { __meta_ip: '10.0.0.1', __meta_port: '9100' }, cfgs: [{ source_labels: ['__meta_ip', '__meta_port'], separator: ':', target_label: '__address__' }], labels: { instance: '10.0.0.1:9100', job: 'job1' } },
  { name: 'no address', input: { a: 'b' }, error: /^no address$/ },
  { name: 'address with path', input: { __address__: 'h:1/metrics' }, error: /"h:1\/metrics" is not a valid hostname/ },
  { name: 'invalid scheme', input: { __address__: 'h', __scheme__: 'ftp' }, error: /invalid scheme: "http"/ },
  { name: 'bad interval', input: { __address__: 'h:1', __scrape_interval__: 'soon' }, error: /error parsing scrape interval: not a valid duration string: "soon"/ },
  { name: 'zero interval', input: { __address__: 'h:1', __scrape_interval__: '0s' }, error: /scrape interval cannot be 0/ },
  { name: 'zero timeout', input: { __address__: 'h:1', __scrape_timeout__: '0' }, error: /scrape timeout cannot be 0/ },
  { name: 'timeout over interval', input: { __address__: 'h:1', __scrape_timeout__: '2m' }, error: /scrape timeout cannot be greater than scrape interval \("2m" > "1m"\)/ },
  { name: 'relabeled interval', input: { __address__: 'h:1', __scrape_interval__: '5s', __scrape_timeout__: '5s' }, labels: { instance: 'h:1', job: 'job1' } },
  { name: 'invalid value', input: { __address__: 'h:1', bad: '\ud800' }, error: /invalid label value for "bad"/ },
  { name: 'bracketed host without closing bracket is left alone and kept', input: { __address__: '[::1' }, labels: { instance: '[::1', job: 'job1' } },
];

describe('populateLabels', () => {
  it.each(cases)('$name', (c) => {
    const d = { ...defaults, ...c.defaults };
    const cfgs = (c.cfgs ?? []).map(newRelabelConfig);
    if (c.error !== undefined) {
      expect(() => populateLabels(Labels.fromObject(c.input), d, cfgs)).toThrow(TargetLabelsError);
      expect(() => populateLabels(Labels.fromObject(c.input), d, cfgs)).toThrow(c.error);
      return;
    }
    const r = populateLabels(Labels.fromObject(c.input), d, cfgs);
    if (c.labels === 'dropped') {
      expect(r.labels).toBeUndefined();
      expect(r.internal).toBeUndefined();
    } else if (c.labels !== undefined) expect(r.labels?.toObject()).toEqual(c.labels);
    if (c.internal !== undefined) expect(r.internal?.toObject()).toEqual(c.internal);
    if (c.discovered !== undefined) expect(r.discovered.toObject()).toEqual(c.discovered);
  });
});

describe('splitHostPort', () => {
  it.each([
    ['h:1', { host: 'h', port: '1' }],
    ['[::1]:9', { host: '::1', port: '9' }],
    [':80', { host: '', port: '80' }],
    ['h', undefined],
    ['::1', undefined],
    ['[::1]', undefined],
    ['[h]x:1', undefined],
    ['h]:1', undefined],
  ] as const)('%s', (s, want) => {
    expect(splitHostPort(s)).toEqual(want);
  });
});

describe('targetURL', () => {
  it('merges params and escapes like Go', () => {
    // The job's params overwrite discovered __param_* labels; relabeling then sets its own.
    const cfgs = [newRelabelConfig({ source_labels: ['__meta_t'], target_label: '__param_target' })];
    const r = populateLabels(Labels.fromObject({ __address__: 'h:1', __meta_t: 'http://x y' }), { ...defaults, metricsPath: '/probe', params: { module: ['http_2xx'], target: ['a', 'b'] } }, cfgs);
    expect(targetURL(r.internal!, { module: ['http_2xx'], target: ['a', 'b'] })).toBe('http://h:1/probe?module=http_2xx&target=http%3A%2F%2Fx+y&target=b');
  });
});
