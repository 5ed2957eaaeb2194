/**
 * The host's fully qualified name as Prometheus's osutil.GetFQDN finds it, for the jitter seed.
 * @module
 */
import { lookup, lookupService } from 'node:dns/promises';
import { hostname as osHostname } from 'node:os';

/** ResolveFqdnOptions tune resolveFqdn (tests replace the host name and resolvers). */
export interface ResolveFqdnOptions {
  /** Gives up on lookups after this long and answers the plain host name; default 2000 ms. */
  readonly timeoutMs?: number;
  readonly hostname?: string;
  /** Forward lookup: the host's addresses in resolver order. */
  readonly lookupAll?: (host: string) => Promise<readonly string[]>;
  /** Reverse lookup of one address to its first name. */
  readonly reverse?: (ip: string) => Promise<string>;
}

const defaultLookupAll = async (host: string): Promise<readonly string[]> => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
const defaultReverse = async (ip: string): Promise<string> => (await lookupService(ip, 0)).hostname;

/**
 * resolveFqdn returns the OS host name's FQDN: the name its first address reverse-resolves to
 * (trailing dot trimmed), or the host name itself when lookups fail or time out.
 */
export async function resolveFqdn(options: ResolveFqdnOptions = {}): Promise<string> {
  const { timeoutMs = 2000, hostname = osHostname(), lookupAll = defaultLookupAll, reverse = defaultReverse } = options;
  const find = async (): Promise<string> => {
    let ips: readonly string[];
    try {
      ips = await lookupAll(hostname);
    } catch {
      return hostname;
    }
    for (const ip of ips) {
      try {
        const name = await reverse(ip);
        if (name !== '') return name.endsWith('.') ? name.slice(0, -1) : name;
      } catch {
        // try the next address, as GetFQDN does
      }
    }
    return hostname;
  };
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(hostname), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([find(), expired]);
  } finally {
    clearTimeout(timer);
  }
}
