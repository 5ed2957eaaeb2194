import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigCheckError, ConfigError, DEFAULT_LOGS_CONFIG, checkConfig, parseConfig } from './index.js';

const T1 = 'web-token-0123456789';
const T2 = 'ops-token-0123456789';

describe('logs section', () => {
  it('gives the defaults when absent or null', () => {
    expect(parseConfig('', 'v.yml').logs).toBe(DEFAULT_LOGS_CONFIG);
    expect(parseConfig('logs:\n', 'v.yml').logs).toBe(DEFAULT_LOGS_CONFIG);
    const d = DEFAULT_LOGS_CONFIG;
    expect(d.tcp).toHaveLength(1);
    expect(d.tcp[0]).toMatchObject({ name: 'tcp', listenAddress: undefined, multiline: true, maxLineBytes: 262_144, longLines: 'truncate', token: undefined });
    expect(d.syslog[0]).toMatchObject({ name: 'syslog', udp: true, tcp: true });
    expect(d.retentionMs).toBeUndefined();
  });

  it('decodes a full section', () => {
    const c = parseConfig(
      [
        'scrape_configs: [{job_name: a}]',
        'logs:',
        '  retention: 720h',
        '  retention_size: 50GB',
        '  apps:',
        '    - {name: web, retention: 2160h}',
        '    - {name: batch, retention_size: 1GiB}',
        '  tokens:',
        `    - {token: ${T1}, app: web, scopes: [push, query], read_apps: [api]}`,
        '    - {name: ops, token_file: secrets/ops, app: ops, scopes: [admin], org_id: ops-tenant-0123456789}',
        '  tcp:',
        '    listen_address: 0.0.0.0:9000',
        '    token: web',
        '    multiline: false',
        '    max_line_bytes: 1MiB',
        '    long_lines: split',
        '    labels: {job: netcat}',
        '    timezone: Europe/Berlin',
        '    tls: {cert_file: tls/c.pem, key_file: tls/k.pem}',
        '  syslog:',
        '    - {listen_address: "127.0.0.1:5514", token: ops, udp: false}',
        '    - {name: edge, listen_address: "[::1]:6514", token: web, tcp: true, udp: true, max_message_bytes: 64KiB}',
        '  http: {max_body_bytes: 8MiB, labels: {cluster: eu}, elastic: {prefix: /es/, version: 7.17.0}}',
        '  limits: {query_timeout: 30s, max_entries_limit_per_query: 10000, max_query_series: 1000, max_query_length: 0s}',
      ].join('\n'),
      '/etc/vigil/vigil.yml',
    );
    const l = c.logs;
    expect(l.retentionMs).toBe(720 * 3_600_000);
    expect(l.retentionBytes).toBe(50 * 2 ** 30);
    expect(l.apps).toEqual([
      { name: 'web', retentionMs: 2160 * 3_600_000, retentionBytes: undefined },
      { name: 'batch', retentionMs: undefined, retentionBytes: 2 ** 30 },
    ]);
    expect(l.tokens).toEqual([
      { name: '', token: T1, tokenFile: undefined, app: 'web', scopes: ['logs:write', 'logs:read'], orgId: undefined, readApps: ['api'] },
      { name: 'ops', token: '', tokenFile: '/etc/vigil/secrets/ops', app: 'ops', scopes: ['admin'], orgId: 'ops-tenant-0123456789', readApps: [] },
    ]);
    expect(l.tcp).toHaveLength(1);
    expect(l.tcp[0]).toMatchObject({
      name: 'tcp',
      listenAddress: '0.0.0.0:9000',
      multiline: false,
      maxLineBytes: 1 << 20,
      longLines: 'split',
      labels: { job: 'netcat' },
      timezone: 'Europe/Berlin',
      tls: { certFile: '/etc/vigil/tls/c.pem', keyFile: '/etc/vigil/tls/k.pem', clientCaFile: undefined, clientAuthType: 'NoClientCert' },
    });
    expect(l.tcp[0]!.token).toBe(l.tokens[0]);
    expect(l.syslog.map((s) => [s.name, s.listenAddress, s.udp, s.tcp, s.token?.app, s.maxMessageBytes])).toEqual([
      ['syslog', '127.0.0.1:5514', false, true, 'ops', 262_144],
      ['edge', '[::1]:6514', true, true, 'web', 65_536],
    ]);
    expect(l.http).toMatchObject({ maxBodyBytes: 8 << 20, labels: { cluster: 'eu' }, elasticPrefix: '/es', elasticVersion: '7.17.0' });
    expect(l.limits).toEqual({ queryTimeoutMs: 30_000, maxEntriesLimitPerQuery: 10_000, maxQuerySeries: 1000, maxQueryLengthMs: 0 });
    // The Prometheus part is unaffected.
    expect(c.scrapeConfigs.map((s) => s.jobName)).toEqual(['a']);
  });

  it("parses the README's example as documented", () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const yaml = /## Logs[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    const l = parseConfig(yaml!, '/etc/vigil/vigil.yml').logs;
    expect(l.retentionMs).toBe(720 * 3_600_000);
    expect(l.tokens.map((t) => [t.app, t.scopes, t.tokenFile])).toEqual([
      ['web', ['logs:write', 'logs:read'], undefined],
      ['hosts', ['logs:write', 'logs:read'], '/etc/vigil/hosts.token'],
    ]);
    expect(l.tcp[0]).toMatchObject({ listenAddress: '0.0.0.0:9000', labels: { job: 'tcp' }, tls: { clientAuthType: 'RequireAndVerifyClientCert' } });
    expect(l.tcp[0]!.token!.name).toBe('hosts');
    expect(l.limits).toEqual(DEFAULT_LOGS_CONFIG.limits);
    expect(l.http.maxBodyBytes).toBe(DEFAULT_LOGS_CONFIG.http.maxBodyBytes);
  });

  it('lets a disabled listener, or one whose address the flag gives, go without a token', () => {
    const c = parseConfig(`logs:\n  tokens: [{token: ${T1}, app: web}]\n  tcp: {listen_address: ""}\n  syslog: {udp: false}\n`, 'v.yml');
    expect(c.logs.tcp[0]!.listenAddress).toBe('');
    expect(c.logs.syslog[0]!.listenAddress).toBeUndefined();
    // The server refuses to start an unbound listener then (see LogsPipeline).
    expect(parseConfig(`logs:\n  tokens: [{token: ${T1}, app: web}]\n`, 'v.yml').logs.tcp[0]!.token).toBeUndefined();
  });

  const bad: readonly { name: string; yaml: string; at: string; detail: RegExp }[] = [
    { name: 'unknown key', yaml: 'logs:\n  retension: 1h\n', at: '2:3: retension', detail: /field retension not found in type logs.Config/ },
    { name: 'bad duration', yaml: 'logs:\n  retention: 30 days\n', at: '2:14: retention', detail: /not a valid duration string/ },
    { name: 'bad size', yaml: 'logs:\n  retention_size: 5 parsecs\n', at: '2:19: retention_size', detail: /unknown unit/ },
    { name: 'short token', yaml: 'logs:\n  tokens: [{token: abc, app: web}]\n', at: '2:20: token', detail: /at least 16 characters/ },
    { name: 'token and file', yaml: `logs:\n  tokens:\n    - {token: ${T1}, token_file: f, app: web}\n`, at: '3:37: token_file', detail: /at most one of token and token_file/ },
    { name: 'no secret', yaml: 'logs:\n  tokens:\n    - {app: web}\n', at: '3:7: token', detail: /needs token or token_file/ },
    { name: 'duplicate token', yaml: `logs:\n  tokens:\n    - {token: ${T1}, app: a}\n    - {token: ${T1}, app: b}\n`, at: '4:15: token', detail: /listed twice/ },
    { name: 'bad app', yaml: `logs:\n  tokens:\n    - {token: ${T1}, app: "we b"}\n`, at: '3:42: app', detail: /not a valid app name/ },
    { name: 'missing app', yaml: `logs:\n  tokens:\n    - {token: ${T1}}\n`, at: '3:7: app', detail: /"" is not a valid app name/ },
    { name: 'unknown scope', yaml: `logs:\n  tokens:\n    - {token: ${T1}, app: web, scopes: [write]}\n`, at: '3:56: scopes', detail: /unknown scope "write"/ },
    { name: 'short org id', yaml: `logs:\n  tokens:\n    - {token: ${T1}, app: web, org_id: web}\n`, at: '3:55: org_id', detail: /at least 16 characters/ },
    { name: 'bad read app', yaml: `logs:\n  tokens:\n    - {token: ${T1}, app: web, read_apps: ["a b"]}\n`, at: '3:58: read_apps', detail: /not a valid app name or \*/ },
    { name: 'duplicate app', yaml: 'logs:\n  apps: [{name: a}, {name: a}]\n', at: '2:28: name', detail: /listed twice/ },
    { name: 'unbound listener', yaml: `logs:\n  tokens: [{token: ${T1}, app: web}]\n  tcp: {token: web}\n  syslog: {listen_address: ":514"}\n`, at: '4:11: token', detail: /this syslog listener must be bound/ },
    { name: 'unknown token ref', yaml: `logs:\n  tokens: [{token: ${T1}, app: web}]\n  tcp: {token: api}\n  syslog: {token: web}\n`, at: '3:16: token', detail: /no token is named "api"/ },
    { name: 'read-only token ref', yaml: `logs:\n  tokens: [{name: ro, token: ${T1}, app: web, scopes: [query]}]\n  tcp: {token: ro}\n  syslog: {listen_address: ""}\n`, at: '3:16: token', detail: /lacks scope logs:write/ },
    { name: 'bad address', yaml: 'logs:\n  tcp: {listen_address: "9000"}\n', at: '2:25: listen_address', detail: /want host:port/ },
    { name: 'port range', yaml: 'logs:\n  tcp: {listen_address: ":70000"}\n', at: '2:25: listen_address', detail: /want host:port/ },
    { name: 'long lines', yaml: 'logs:\n  tcp: {long_lines: drop}\n', at: '2:21: long_lines', detail: /want truncate or split/ },
    { name: 'zero line bytes', yaml: 'logs:\n  tcp: {max_line_bytes: 0}\n', at: '2:25: max_line_bytes', detail: /positive size/ },
    { name: 'bad timezone', yaml: 'logs:\n  tcp: {timezone: Mars/Olympus}\n', at: '2:19: timezone', detail: /unknown time zone/ },
    { name: 'bad label', yaml: 'logs:\n  tcp: {labels: {__x: y}}\n', at: '2:18: labels', detail: /not a valid label name/ },
    { name: 'tls without key', yaml: 'logs:\n  tcp: {tls: {cert_file: c.pem}}\n', at: '2:14: key_file', detail: /needs key_file/ },
    { name: 'client auth without ca', yaml: 'logs:\n  tcp: {tls: {cert_file: c, key_file: k, client_auth_type: RequireAndVerifyClientCert}}\n', at: '2:42: client_auth_type', detail: /needs client_ca_file/ },
    { name: 'syslog neither', yaml: 'logs:\n  syslog: {udp: false, tcp: false}\n', at: '2:11: udp', detail: /needs udp, tcp or both/ },
    { name: 'second listener no address', yaml: 'logs:\n  tcp: [{}, {name: b}]\n', at: '2:13: listen_address', detail: /needs a listen_address/ },
    { name: 'duplicate listener names', yaml: 'logs:\n  tcp: [{listen_address: ":1"}, {name: tcp, listen_address: ":2"}]\n', at: '2:34: name', detail: /two tcp listeners are named "tcp"/ },
    { name: 'listener not a map', yaml: 'logs:\n  tcp: 9000\n', at: '2:8: tcp', detail: /cannot unmarshal !!int `9000`/ },
    { name: 'elastic prefix', yaml: 'logs:\n  http: {elastic: {prefix: es}}\n', at: '2:28: prefix', detail: /must start with \// },
    { name: 'elastic version', yaml: 'logs:\n  http: {elastic: {version: eight}}\n', at: '2:29: version', detail: /want a version like/ },
    { name: 'limits', yaml: 'logs:\n  limits: {max_query_series: -1}\n', at: '2:30: max_query_series', detail: /cannot unmarshal|positive/ },
  ];

  it.each(bad)('rejects $name with position and key', ({ yaml, at, detail }) => {
    let err: unknown;
    try {
      parseConfig(yaml, 'v.yml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg.startsWith(`v.yml:${at}: `), msg).toBe(true);
    expect(msg).toMatch(detail);
  });

  it('checks listener certificates and token files unless syntax-only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-logs-cfg-'));
    const yaml = `logs:\n  tokens: [{token_file: tok, app: web}]\n  tcp: {token: web, tls: {cert_file: c.pem, key_file: k.pem}}\n  syslog: {listen_address: ""}\n`;
    const cfg = parseConfig(yaml, join(dir, 'v.yml'));
    await expect(checkConfig(cfg, { syntaxOnly: true })).resolves.toBeDefined();
    await expect(checkConfig(cfg)).rejects.toThrow(/error checking cert file ".*c\.pem"/);
    writeFileSync(join(dir, 'c.pem'), 'x');
    writeFileSync(join(dir, 'k.pem'), 'x');
    await expect(checkConfig(cfg)).rejects.toThrow(/cannot read token_file/);
    writeFileSync(join(dir, 'tok'), 'short\n');
    await expect(checkConfig(cfg)).rejects.toBeInstanceOf(ConfigCheckError);
    writeFileSync(join(dir, 'tok'), `${T2}\n`);
    await expect(checkConfig(cfg)).resolves.toBeDefined();
  });

  it('never throws anything but ConfigError on arbitrary logs sections', () => {
    const pieces = fc.constantFrom(
      'logs:', '  tokens:', `    - {token: ${T1}, app: web}`, '  tcp:', '    token: web', '    listen_address: ":9000"', '  syslog: []', '  syslog: {udp: false}',
      '  retention: 1h', '  apps: [{name: a}]', '  http: {elastic: {prefix: /x}}', '  limits: {}', '[', '&a', '*a', '<<: *a', '- x', '  tcp: [{}, {}]',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string({ maxLength: 10 })), { maxLength: 10 }), (lines) => {
        try {
          parseConfig(lines.join('\n'), 'fuzz.yml');
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 400 },
    );
  });
});
