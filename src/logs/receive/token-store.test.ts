import { describe, expect, it } from 'vitest';
import { Scope, TokenStore } from './token-store.js';

const WEB = 'web-token-0123456789abcdef';
const ADMIN = 'admin-token-0123456789abcdef';
const READER = 'reader-token-0123456789abcd';
const store = new TokenStore({
  tokens: [
    { token: WEB, app: 'web', orgId: 'tenant-web-secret-0001' },
    { token: ADMIN, app: 'ops', scopes: [Scope.Admin] },
    { token: READER, app: 'dash', scopes: [Scope.LogsRead] },
  ],
});
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('TokenStore.authenticate', () => {
  it.each([
    { name: 'bearer', h: { authorization: `Bearer ${WEB}` }, want: { kind: 'ok', app: 'web' } },
    { name: 'bearer, scheme in any case', h: { authorization: `bearer ${WEB}` }, want: { kind: 'ok', app: 'web' } },
    { name: 'basic with the token as password', h: { authorization: `Basic ${b64(`anyone:${WEB}`)}` }, want: { kind: 'ok', app: 'web' } },
    { name: 'ApiKey id:key', h: { authorization: `ApiKey ${b64(`id1:${WEB}`)}` }, want: { kind: 'ok', app: 'web' } },
    { name: 'ApiKey raw', h: { authorization: `ApiKey ${WEB}` }, want: { kind: 'ok', app: 'web' } },
    { name: 'X-Scope-OrgID configured as a tenant', h: { 'x-scope-orgid': 'tenant-web-secret-0001' }, want: { kind: 'ok', app: 'web' } },
    { name: 'X-Scope-OrgID unknown', h: { 'x-scope-orgid': 'web' }, want: { kind: 'unauthorized' } },
    { name: 'nothing', h: {}, want: { kind: 'unauthorized' } },
    { name: 'wrong token', h: { authorization: 'Bearer nope-nope-nope-nope' }, want: { kind: 'unauthorized' } },
    { name: 'unknown scheme', h: { authorization: `Digest ${WEB}` }, want: { kind: 'unauthorized' } },
    { name: 'read-only token cannot write', h: { authorization: `Bearer ${READER}` }, want: { kind: 'forbidden' } },
    { name: 'token acting for another app', h: { authorization: `Bearer ${WEB}`, 'x-scope-orgid': 'other' }, want: { kind: 'forbidden' } },
    { name: 'token with its own app as org id', h: { authorization: `Bearer ${WEB}`, 'x-scope-orgid': 'web' }, want: { kind: 'ok', app: 'web' } },
    { name: 'admin acting for another app', h: { authorization: `Bearer ${ADMIN}`, 'x-scope-orgid': 'billing' }, want: { kind: 'ok', app: 'billing' } },
  ] as const)('$name', ({ h, want }) => {
    const r = store.authenticate((n) => (h as Record<string, string>)[n], Scope.LogsWrite);
    expect(r).toMatchObject(want);
  });

  it('without tokens everything is open and X-Scope-OrgID names the app', () => {
    const open = new TokenStore();
    expect(open.enabled).toBe(false);
    expect(open.authenticate((n) => (n === 'x-scope-orgid' ? 'team-a' : undefined), Scope.LogsWrite)).toEqual({ kind: 'ok', app: 'team-a', token: undefined });
    expect(open.authenticate(() => undefined, Scope.LogsWrite)).toEqual({ kind: 'ok', app: undefined, token: undefined });
  });

  it.each([
    [[{ token: 'short', app: 'a' }], /tokens\[0\]\.token: must be a string of at least 16/],
    [[{ token: WEB, app: 'bad app' }], /tokens\[0\]\.app/],
    [[{ token: WEB, app: 'a' }, { token: WEB, app: 'b' }], /tokens\[1\]\.token: is listed twice/],
    [[{ token: WEB, app: 'a', scopes: ['logs:delete'] }], /unknown scope "logs:delete"/],
    [[{ token: WEB, app: 'a', orgId: 'a' }], /orgId: must be at least 16/],
  ])('rejects bad config %#', (tokens, err) => {
    expect(() => new TokenStore({ tokens: tokens as never })).toThrow(err);
  });
});
