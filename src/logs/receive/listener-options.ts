/**
 * Options shared by the stream listeners (TCP and syslog): where to listen, TLS, the token a
 * listener is bound to, labels, and the resolution of the labels every entry gets.
 * @module
 */
import type { SecureContextOptions } from 'node:tls';
import { LabelsBuilder, type Labels } from '../../model/index.js';
import { ReceiverOptionError } from './errors.js';
import { Scope, TokenStore } from './token-store.js';

/** TlsOptions turn a listener into TLS: certificate and key in PEM, optionally a CA for client certificates. */
export interface TlsOptions {
  readonly cert: SecureContextOptions['cert'];
  readonly key: SecureContextOptions['key'];
  readonly ca?: SecureContextOptions['ca'];
  /** Ask for and verify a client certificate signed by `ca` (default false). */
  readonly requestCert?: boolean;
}

/** ListenerAuthOptions bind a listener to an app token and give it labels. */
export interface ListenerAuthOptions {
  /** The configured tokens; when it has any, the listener must be bound to one with `token`. */
  readonly tokens?: TokenStore;
  /** The token this listener's traffic counts as; its app becomes the `app` label. */
  readonly token?: string;
  /**
   * Labels added to every entry (e.g. `{job: "netcat"}`); default `{job: "<receiver>"}` (`tcp`,
   * `syslog`) so that no stream is without labels; `app` is set from the token.
   */
  readonly labels?: Readonly<Record<string, string>>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * resolveListenerLabels checks the token binding and returns the labels of every entry:
 * the configured labels (or `job` = defaultJob) plus `app` from the token.
 */
export function resolveListenerLabels({ tokens, token, labels }: ListenerAuthOptions, defaultJob: string): Labels {
  labels ??= { job: defaultJob };
  const b = new LabelsBuilder();
  for (const [n, v] of Object.entries(labels)) {
    if (!LABEL_NAME.test(n) || n.startsWith('__')) throw new ReceiverOptionError(`labels.${n}`, 'is not a valid label name');
    if (typeof v !== 'string') throw new ReceiverOptionError(`labels.${n}`, 'must be a string');
    b.set(n, v);
  }
  if (token !== undefined) {
    const t = tokens?.lookup(token);
    if (t === undefined) throw new ReceiverOptionError('token', 'is not one of the configured tokens');
    if (!TokenStore.allows(t, Scope.LogsWrite)) throw new ReceiverOptionError('token', `the token of app "${t.app}" lacks scope logs:write`);
    b.set('app', t.app);
  } else if (tokens?.enabled === true) {
    throw new ReceiverOptionError('token', 'tokens are configured, so this listener must be bound to one (its app labels what arrives)');
  }
  return b.labels();
}

/** checkPort validates a port option (0 picks a free port). */
export function checkPort(option: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ReceiverOptionError(option, `must be an integer 0–65535, got ${port}`);
}

/** checkPositive validates a positive integer option. */
export function checkPositive(option: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new ReceiverOptionError(option, `must be a positive integer, got ${v}`);
}
