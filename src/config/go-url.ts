/**
 * The checks Go's net/url.Parse makes, which is all Prometheus asks of a URL in its config.
 * @module
 */

/** checkGoURL returns Go's error text for a URL url.Parse rejects, or undefined when it parses. */
export function checkGoURL(s: string): string | undefined {
  const err = (m: string): string => `parse ${JSON.stringify(s)}: ${m}`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(s)) return err('net/url: invalid control character in URL');
  const hash = s.indexOf('#');
  const rest0 = hash >= 0 ? s.slice(0, hash) : s;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest0);
  if (rest0.startsWith(':')) return err('missing protocol scheme');
  let rest = m ? rest0.slice(m[0].length) : rest0;
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (!m) {
    const colon = rest.indexOf(':');
    const slash = rest.indexOf('/');
    if (colon >= 0 && (slash < 0 || colon < slash)) return err('first path segment in URL cannot contain colon');
  }
  if (rest.startsWith('//')) {
    const auth = rest.slice(2).split('/')[0]!;
    const at = auth.lastIndexOf('@');
    const host = at >= 0 ? auth.slice(at + 1) : auth;
    let port = '';
    if (host.startsWith('[')) {
      const end = host.indexOf(']');
      if (end < 0) return err('missing \']\' in host');
      port = host.slice(end + 1);
    } else {
      const c = host.lastIndexOf(':');
      if (c >= 0) port = host.slice(c);
      const bad = /[^A-Za-z0-9\-._~!$&'()*+,;=:%[\]\u0080-\uffff]/.exec(host.slice(0, c >= 0 ? c : host.length));
      if (bad) return err(`invalid character ${JSON.stringify(bad[0])} in host name`);
    }
    if (port !== '' && !/^:[0-9]*$/.test(port)) return err(`invalid port ${JSON.stringify(port)} after host`);
  }
  return undefined;
}
