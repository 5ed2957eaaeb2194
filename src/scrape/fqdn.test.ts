import { describe, expect, it } from 'vitest';
import { resolveFqdn } from './fqdn.js';

const fail = (): Promise<never> => Promise.reject(new Error('no'));

describe('resolveFqdn', () => {
  it.each([
    ['the reverse name of the first address, trailing dot trimmed', ['10.0.0.1'], { '10.0.0.1': 'web1.example.com.' }, 'web1.example.com'],
    ['the next address when one does not reverse-resolve', ['10.0.0.1', '10.0.0.2'], { '10.0.0.2': 'web1.lan' }, 'web1.lan'],
    ['the host name when no address reverse-resolves', ['10.0.0.1'], {}, 'web1'],
    ['the host name when it has no address', [], {}, 'web1'],
  ])('answers %s', async (_, ips, names: Record<string, string>, want) => {
    const got = await resolveFqdn({
      hostname: 'web1',
      lookupAll: async () => ips,
      reverse: async (ip) => names[ip] ?? fail(),
    });
    expect(got).toBe(want);
  });

  it('answers the host name when the forward lookup fails', async () => {
    expect(await resolveFqdn({ hostname: 'web1', lookupAll: fail })).toBe('web1');
  });

  it('answers the host name when lookups hang past the timeout', async () => {
    const never = (): Promise<never> => new Promise(() => {});
    expect(await resolveFqdn({ hostname: 'web1', timeoutMs: 20, lookupAll: never })).toBe('web1');
  });

  it('resolves this host without throwing', async () => {
    expect((await resolveFqdn({ timeoutMs: 1000 })).length).toBeGreaterThan(0);
  });
});
