/**
 * OAuth 2.0 client-credentials tokens for scrape jobs with an `oauth2` block, as Prometheus's
 * HTTP client gets them: client id and secret sent as HTTP basic auth (falling back to form
 * fields if the server refuses that), scopes and endpoint_params in the form, and the token
 * reused until ten seconds before it expires.
 * @module
 */
import { readFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import type { OAuth2Config } from '../discovery/index.js';
import { OAuth2TokenError } from './errors.js';

/** Tokens are renewed this long before they expire, as Go's oauth2 package does. */
const EXPIRY_DELTA_MS = 10_000;

/** OAuth2TokenSource fetches and caches access tokens for one oauth2 config. */
export class OAuth2TokenSource {
  readonly #cfg: OAuth2Config;
  readonly #now: () => number;
  #token: { value: string; type: string; expiresAt: number } | undefined;
  #inflight: Promise<string> | undefined;

  constructor(cfg: OAuth2Config, now: () => number = Date.now) {
    this.#cfg = cfg;
    this.#now = now;
  }

  /** authorization returns the Authorization header value, fetching a token when needed. */
  async authorization(): Promise<string> {
    const t = this.#token;
    if (t !== undefined && t.expiresAt - EXPIRY_DELTA_MS > this.#now()) return `${t.type} ${t.value}`;
    this.#inflight ??= this.#fetch().finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  async #fetch(): Promise<string> {
    const c = this.#cfg;
    let secret = c.clientSecret ?? '';
    if (c.clientSecretFile !== undefined && c.clientSecretFile !== '') secret = (await readFile(c.clientSecretFile, 'utf8')).trim();
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (c.scopes.length > 0) form.set('scope', c.scopes.join(' '));
    for (const [k, v] of Object.entries(c.endpointParams)) form.set(k, v);
    const basic = 'Basic ' + Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(secret)}`).toString('base64');
    let res = await this.#post(form, basic);
    if (res.status < 200 || res.status > 299) {
      // Auto-detected auth style: retry with the credentials in the form.
      const inForm = new URLSearchParams(form);
      inForm.set('client_id', c.clientId);
      inForm.set('client_secret', secret);
      res = await this.#post(inForm, undefined);
    }
    if (res.status < 200 || res.status > 299) throw new OAuth2TokenError(c.tokenUrl, `HTTP status ${res.status}: ${res.body.slice(0, 200)}`);
    let tok: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    try {
      tok = JSON.parse(res.body) as typeof tok;
    } catch (e) {
      // Some servers answer form-encoded, which Go's package also accepts.
      const f = new URLSearchParams(res.body);
      tok = { access_token: f.get('access_token') ?? undefined, token_type: f.get('token_type') ?? undefined, expires_in: f.get('expires_in') ?? undefined };
      if (tok.access_token === undefined) throw new OAuth2TokenError(c.tokenUrl, 'response is neither JSON nor a form', { cause: e });
    }
    if (typeof tok.access_token !== 'string' || tok.access_token === '') throw new OAuth2TokenError(c.tokenUrl, 'server response missing access_token');
    const type = typeof tok.token_type === 'string' && tok.token_type !== '' && tok.token_type.toLowerCase() !== 'bearer' ? tok.token_type : 'Bearer';
    const expiresIn = Number(tok.expires_in);
    this.#token = { value: tok.access_token, type, expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? this.#now() + expiresIn * 1000 : Infinity };
    return `${type} ${tok.access_token}`;
  }

  async #post(form: URLSearchParams, auth: string | undefined): Promise<{ status: number; body: string }> {
    const u = new URL(this.#cfg.tokenUrl);
    const body = form.toString();
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) };
    if (auth !== undefined) headers.Authorization = auth;
    const t = this.#cfg.tlsConfig;
    const tlsOpts: https.RequestOptions = {};
    if (t !== undefined) {
      tlsOpts.rejectUnauthorized = t.insecureSkipVerify !== true;
      if (t.caFile !== undefined) tlsOpts.ca = await readFile(t.caFile);
      if (t.certFile !== undefined) tlsOpts.cert = await readFile(t.certFile);
      if (t.keyFile !== undefined) tlsOpts.key = await readFile(t.keyFile);
      if (t.serverName !== undefined && t.serverName !== '') tlsOpts.servername = t.serverName;
    }
    const mod = u.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(u, { method: 'POST', headers, ...tlsOpts, signal: AbortSignal.timeout(30_000) }, (res) => {
        const chunks: Buffer[] = [];
        let n = 0;
        res.on('data', (c: Buffer) => {
          if ((n += c.length) <= 1 << 20) chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', (e) => reject(new OAuth2TokenError(this.#cfg.tokenUrl, e.message, { cause: e })));
      req.end(body);
    });
  }
}
