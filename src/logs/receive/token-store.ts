/**
 * App tokens: the config lists tokens, each naming an app (tenant) and its scopes. Ingest
 * authenticates with them; the app becomes the `app` label of what it sends.
 * @module
 */
import { ReceiverOptionError } from './errors.js';

/** Scope is a permission a token grants. */
export const Scope = {
  LogsWrite: 'logs:write',
  LogsRead: 'logs:read',
  MetricsWrite: 'metrics:write',
  MetricsRead: 'metrics:read',
  /** Everything, including writing and reading on behalf of other apps. */
  Admin: 'admin',
} as const;

/** Scope is one of the values of the `Scope` object. */
export type Scope = (typeof Scope)[keyof typeof Scope];

const SCOPES: ReadonlySet<string> = new Set(Object.values(Scope));

/** AppTokenConfig is one token as configured. */
export interface AppTokenConfig {
  /** The secret (at least 16 characters). */
  readonly token: string;
  /** The app (tenant) the token stands for; becomes the `app` label. */
  readonly app: string;
  /** What it may do; default `['logs:write', 'logs:read']`. */
  readonly scopes?: readonly Scope[];
  /**
   * An `X-Scope-OrgID` value that authenticates as this token, for Loki clients that can only
   * send a tenant header (treat it as a secret too).
   */
  readonly orgId?: string;
  /** Other apps whose data this token may read (query side); `*` for all. */
  readonly readApps?: readonly string[];
}

/** AppToken is a validated token. */
export interface AppToken {
  readonly token: string;
  readonly app: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly orgId: string | undefined;
  readonly readApps: readonly string[];
}

/** AuthResult is the outcome of authenticating a request. */
export type AuthResult =
  | { readonly kind: 'ok'; readonly app: string | undefined; readonly token: AppToken | undefined }
  | { readonly kind: 'unauthorized' | 'forbidden'; readonly reason: string };

/** HeaderLookup reads a request header by lower-case name. */
export type HeaderLookup = (name: string) => string | undefined;

/** TokenStoreOptions configure a TokenStore. */
export interface TokenStoreOptions {
  readonly tokens?: readonly AppTokenConfig[];
}

const APP_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * TokenStore holds the configured tokens. With none configured, ingest is open and Loki's
 * `X-Scope-OrgID` (when sent) names the app.
 */
export class TokenStore {
  readonly #byToken = new Map<string, AppToken>();
  readonly #byOrgId = new Map<string, AppToken>();

  constructor({ tokens = [] }: TokenStoreOptions = {}) {
    tokens.forEach((t, i) => {
      const where = `tokens[${i}]`;
      if (typeof t.token !== 'string' || t.token.length < 16) throw new ReceiverOptionError(`${where}.token`, 'must be a string of at least 16 characters');
      if (typeof t.app !== 'string' || !APP_RE.test(t.app)) throw new ReceiverOptionError(`${where}.app`, `"${String(t.app)}" is not a valid app name (letters, digits, . _ -, up to 64)`);
      if (this.#byToken.has(t.token)) throw new ReceiverOptionError(`${where}.token`, 'is listed twice');
      const scopes = t.scopes ?? [Scope.LogsWrite, Scope.LogsRead];
      for (const s of scopes) if (!SCOPES.has(s)) throw new ReceiverOptionError(`${where}.scopes`, `unknown scope "${String(s)}" (want one of ${[...SCOPES].join(', ')})`);
      const tok: AppToken = { token: t.token, app: t.app, scopes: new Set(scopes), orgId: t.orgId, readApps: t.readApps ?? [] };
      this.#byToken.set(t.token, tok);
      if (t.orgId !== undefined) {
        if (t.orgId.length < 16) throw new ReceiverOptionError(`${where}.orgId`, 'must be at least 16 characters: it authenticates like a token');
        if (this.#byOrgId.has(t.orgId)) throw new ReceiverOptionError(`${where}.orgId`, 'is listed twice');
        this.#byOrgId.set(t.orgId, tok);
      }
    });
  }

  /** enabled tells whether any token is configured (then ingest requires one). */
  get enabled(): boolean {
    return this.#byToken.size > 0;
  }

  /** lookup returns the token with this secret, or undefined. */
  lookup(token: string): AppToken | undefined {
    return this.#byToken.get(token);
  }

  /** allows tells whether a token grants a scope (`admin` grants all). */
  static allows(t: AppToken, scope: Scope): boolean {
    return t.scopes.has(scope) || t.scopes.has(Scope.Admin);
  }

  /**
   * authenticate checks a request's credentials for `scope`: `Authorization: Bearer <token>`,
   * `Authorization: Basic` with the token as password (Loki clients' basic auth),
   * `Authorization: ApiKey` (Elasticsearch clients; the token, or base64 of `id:token`), or an
   * `X-Scope-OrgID` configured as a token's orgId. An `X-Scope-OrgID` naming another app than
   * the token's needs the `admin` scope.
   */
  authenticate(header: HeaderLookup, scope: Scope): AuthResult {
    const orgId = header('x-scope-orgid')?.trim();
    if (!this.enabled) {
      return { kind: 'ok', app: orgId !== undefined && APP_RE.test(orgId) ? orgId : undefined, token: undefined };
    }
    const auth = header('authorization');
    let tok: AppToken | undefined;
    let viaOrgId = false;
    if (auth !== undefined) {
      const sp = auth.indexOf(' ');
      const kind = sp < 0 ? '' : auth.slice(0, sp).toLowerCase();
      const cred = sp < 0 ? '' : auth.slice(sp + 1).trim();
      if (kind === 'bearer') tok = this.#byToken.get(cred);
      else if (kind === 'basic') {
        const dec = Buffer.from(cred, 'base64').toString('utf8');
        const colon = dec.indexOf(':');
        tok = colon < 0 ? undefined : this.#byToken.get(dec.slice(colon + 1));
      } else if (kind === 'apikey') {
        // Elasticsearch clients send `ApiKey base64(id:key)` or the encoded key as given.
        tok = this.#byToken.get(cred);
        if (tok === undefined) {
          const dec = Buffer.from(cred, 'base64').toString('utf8');
          const colon = dec.indexOf(':');
          tok = this.#byToken.get(colon < 0 ? dec : dec.slice(colon + 1));
        }
      } else {
        return { kind: 'unauthorized', reason: 'unsupported Authorization scheme (want Bearer, Basic or ApiKey)' };
      }
      if (tok === undefined) return { kind: 'unauthorized', reason: 'invalid token' };
    } else if (orgId !== undefined && orgId !== '') {
      tok = this.#byOrgId.get(orgId);
      viaOrgId = true;
      if (tok === undefined) return { kind: 'unauthorized', reason: 'X-Scope-OrgID is not a configured tenant' };
    } else {
      return { kind: 'unauthorized', reason: 'missing credentials: send Authorization: Bearer <token>' };
    }
    if (!TokenStore.allows(tok, scope)) return { kind: 'forbidden', reason: `token of app "${tok.app}" lacks scope ${scope}` };
    let app = tok.app;
    if (!viaOrgId && orgId !== undefined && orgId !== '' && orgId !== tok.app) {
      if (!tok.scopes.has(Scope.Admin)) return { kind: 'forbidden', reason: `token of app "${tok.app}" may not act for X-Scope-OrgID "${orgId}"` };
      if (!APP_RE.test(orgId)) return { kind: 'forbidden', reason: 'X-Scope-OrgID is not a valid app name' };
      app = orgId;
    }
    return { kind: 'ok', app, token: tok };
  }
}
