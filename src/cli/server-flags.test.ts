import { describe, expect, it } from 'vitest';
import { FlagError, parseFlags } from './flags.js';
import { SERVER_FLAGS, serverOptions } from './server-flags.js';

const opts = (argv: readonly string[]) => serverOptions(parseFlags(argv, SERVER_FLAGS));

describe('server flags: the log side', () => {
  it('defaults the log listeners, path and retention', () => {
    const o = opts(['--data.dir', '/d']);
    expect(o).toMatchObject({
      logsPath: '/d/logs',
      logsTcpAddress: '127.0.0.1:9000',
      logsTcpAddressExplicit: false,
      logsSyslogAddress: '127.0.0.1:5514',
      logsSyslogAddressExplicit: false,
      logsRetentionMs: undefined,
      logsRetentionBytes: undefined,
    });
  });

  it('takes the given values and remembers which addresses were given', () => {
    const o = opts(['--logs.path', '/x', '--logs.tcp-listen-address', '', '--logs.syslog-listen-address', '[::1]:514', '--logs.retention.time', '14d', '--logs.retention.size', '10GB']);
    expect(o).toMatchObject({
      logsPath: '/x',
      logsTcpAddress: '',
      logsTcpAddressExplicit: true,
      logsSyslogAddress: '[::1]:514',
      logsSyslogAddressExplicit: true,
      logsRetentionMs: 14 * 86_400_000,
      logsRetentionBytes: 10 * 2 ** 30,
    });
    expect(opts(['--logs.retention.time', '0s']).logsRetentionMs).toBe(0);
  });

  it.each([
    [['--logs.tcp-listen-address', '9000'], /--logs.tcp-listen-address: invalid address "9000"/],
    [['--logs.syslog-listen-address', 'host:99999'], /--logs.syslog-listen-address: invalid address/],
    [['--logs.retention.time', '2 weeks'], /--logs.retention.time: /],
    [['--logs.retention.size', '10 GB'], /--logs.retention.size: invalid size/],
  ])('rejects %j', (argv, want) => {
    expect(() => opts(argv)).toThrow(FlagError);
    expect(() => opts(argv)).toThrow(want);
  });
});
