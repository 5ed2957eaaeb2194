import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { renderConfigYaml, yamlString } from './prometheus-config-yaml.js';

const TESTDATA = join(import.meta.dirname, 'testdata');

describe('renderConfigYaml', () => {
  it('prints a configuration exactly as Prometheus 2.42 /api/v1/status/config does', () => {
    // The expected text is the `yaml` field Prometheus 2.42 returned for the same file, loaded
    // as /etc/prometheus/prometheus.yml (relative paths resolve against that folder).
    const input = readFileSync(join(TESTDATA, 'status-config.input.yml'), 'utf8');
    const want = readFileSync(join(TESTDATA, 'status-config.prometheus-2.42.yml'), 'utf8');
    expect(renderConfigYaml(parseConfig(input, '/etc/prometheus/prometheus.yml'))).toBe(want);
  });

  it('prints the defaults of a minimal configuration', () => {
    const cfg = parseConfig("scrape_configs:\n  - job_name: p\n    static_configs: [{targets: ['127.0.0.1:9090']}]\n", '/etc/prometheus/prometheus.yml');
    expect(renderConfigYaml(cfg)).toBe(
      [
        'global:',
        '  scrape_interval: 1m',
        '  scrape_timeout: 10s',
        '  evaluation_interval: 1m',
        'scrape_configs:',
        '- job_name: p',
        '  honor_timestamps: true',
        '  scrape_interval: 1m',
        '  scrape_timeout: 10s',
        '  metrics_path: /metrics',
        '  scheme: http',
        '  follow_redirects: true',
        '  enable_http2: true',
        '  static_configs:',
        '  - targets:',
        '    - 127.0.0.1:9090',
        '',
      ].join('\n'),
    );
  });
});

describe('yamlString', () => {
  it.each([
    ['plain', 'plain'],
    ['', '""'],
    ['true', '"true"'],
    ['10', '"10"'],
    ['1.5e3', '"1.5e3"'],
    ['null', '"null"'],
    ['x y', 'x y'],
    ['(.*):.*', '(.*):.*'],
    ['${1}', '${1}'],
    [';', ';'],
    ['a: b', "'a: b'"],
    ['*glob', "'*glob'"],
    ['# c', "'# c'"],
    [' lead', "' lead'"],
    ["it's", "it's"],
    ['- x', "'- x'"],
    ['line\nbreak', '"line\\nbreak"'],
  ])('%j', (s, want) => expect(yamlString(s)).toBe(want));
});
