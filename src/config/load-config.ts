/**
 * Loading a Prometheus-format configuration file.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from './config.js';
import { decodeScrapeConfig } from './decode-scrape-config.js';
import { decodeLogs } from './decode-logs.js';
import { DEFAULT_GLOBAL, decodeAlerting, decodeGlobal, decodeRemoteRead, decodeRemoteWrite, decodeStorage, decodeTracing } from './decode-sections.js';
import { ConfigError } from './errors.js';
import { resolvePath } from './resolve-path.js';
import { DEFAULT_DECODE_LIMITS, Decoder } from './yaml-decoder.js';
import type { DecodeLimits } from './yaml-decoder.js';

const TOP_KEYS = ['global', 'alerting', 'rule_files', 'scrape_configs', 'storage', 'tracing', 'remote_write', 'remote_read', 'logs'];
// A `*` is allowed only in the last path element of a rule file.
const RULE_PATH = /^[^*]*(\*[^/]*)?$/;

/** ParseOptions tune parseConfig. */
export interface ParseOptions {
  /** Folder that relative paths are resolved against; defaults to the file name's folder. */
  readonly dir?: string;
  readonly limits?: DecodeLimits;
}

/**
 * parseConfig parses configuration text. `filename` names the source in errors and, unless
 * `options.dir` is given, its folder is where relative paths are resolved. Throws ConfigError.
 */
export function parseConfig(text: string, filename: string, options: ParseOptions = {}): Config {
  const { dir = dirname(filename), limits = DEFAULT_DECODE_LIMITS } = options;
  const { decoder: d, root } = Decoder.parse(text, filename, limits);
  const f = d.fields(root, 'config.Config', TOP_KEYS);
  const global = f.has('global') ? decodeGlobal(d, f.get('global'), dir) : DEFAULT_GLOBAL;
  const ruleFiles = d.strList(f.get('rule_files'), 'rule_files');
  for (const rf of ruleFiles) if (!RULE_PATH.test(rf)) d.fail(f.get('rule_files'), 'rule_files', `invalid rule file path ${JSON.stringify(rf)}`);
  const jobs = new Set<string>();
  const scrapeConfigs = d.seq(f.get('scrape_configs'), 'scrape_configs').map((node) => {
    const sc = decodeScrapeConfig(d, node, global, dir);
    if (jobs.has(sc.jobName)) d.fail(node, 'job_name', `found multiple scrape configs with job name ${JSON.stringify(sc.jobName)}`);
    jobs.add(sc.jobName);
    return sc;
  });
  const alerting = decodeAlerting(d, f.get('alerting'), dir);
  const remoteWrite = decodeRemoteWrite(d, f.get('remote_write'), dir);
  const remoteRead = decodeRemoteRead(d, f.get('remote_read'), dir);
  const storage = decodeStorage(d, f.get('storage'));
  const tracing = decodeTracing(d, f.get('tracing'), dir);
  const logs = decodeLogs(d, f.get('logs'), dir);
  return {
    filename,
    global,
    ruleFiles: ruleFiles.map((p) => resolvePath(dir, p)),
    scrapeConfigs,
    alerting,
    remoteWrite,
    remoteRead,
    storage,
    tracing,
    logs,
  };
}

/** loadConfigFile reads and parses a configuration file, resolving relative paths against its folder. */
export async function loadConfigFile(path: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<Config> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new ConfigError(path, 1, 1, '', `cannot read config file: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (size > limits.maxBytes) throw new ConfigError(path, 1, 1, '', `file is ${size} bytes, more than the limit of ${limits.maxBytes}`);
  const text = await readFile(path, 'utf8');
  return parseConfig(text, path, { limits });
}
