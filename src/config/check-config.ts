/**
 * The checks `vigil check config` makes beyond parsing, as `promtool check config` does: rule
 * files, credential and certificate files exist, and static and file_sd targets populate; for
 * the logs section, listener certificates exist and token files hold a usable secret.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { TargetGroupFileError, parseTargetGroupFile, targetsFromGroup } from '../discovery/index.js';
import type { HttpClientConfig, TargetGroup } from '../discovery/index.js';
import type { Config, ScrapeConfig } from './config.js';
import { ConfigCheckError } from './errors.js';
import { globFiles } from './glob-files.js';

/** CheckOptions tune checkConfig. */
export interface CheckOptions {
  /** Skip every check that reads the filesystem (promtool's --syntax-only). */
  readonly syntaxOnly?: boolean;
}

/** CheckResult lists what the check found besides errors. */
export interface CheckResult {
  /** Rule files the rule_files globs matched. */
  readonly ruleFiles: readonly string[];
  /** Non-fatal findings, such as a file_sd file that does not exist yet. */
  readonly warnings: readonly string[];
}

async function exists(path: string | undefined): Promise<Error | undefined> {
  if (path === undefined || path === '') return undefined;
  try {
    await stat(path);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** checkConfig runs promtool's checks on a parsed config; throws ConfigCheckError on the first failure. */
export async function checkConfig(cfg: Config, options: CheckOptions = {}): Promise<CheckResult> {
  const { syntaxOnly = false } = options;
  const fail = (msg: string, cause?: unknown): never => {
    throw new ConfigCheckError(cfg.filename, msg, cause === undefined ? undefined : { cause });
  };
  const ruleFiles: string[] = [];
  const warnings: string[] = [];
  if (!syntaxOnly) {
    for (const rf of cfg.ruleFiles) {
      const matched = await globFiles(rf);
      if (!rf.includes('*')) {
        if (matched.length === 0) fail(`${JSON.stringify(rf)} does not point to an existing file`);
        const e = await exists(matched[0]);
        if (e) fail(`error checking rule file ${JSON.stringify(matched[0])}: ${e.message}`, e);
      }
      ruleFiles.push(...matched);
    }
  }
  for (const sc of cfg.scrapeConfigs) {
    if (!syntaxOnly && sc.httpClient.authorization?.credentialsFile !== undefined) {
      const f = sc.httpClient.authorization.credentialsFile;
      const e = await exists(f);
      if (e) fail(`error checking authorization credentials or bearer token file ${JSON.stringify(f)}: ${e.message}`, e);
    }
    await checkTls(sc.httpClient, syntaxOnly, fail);
    for (const sd of sc.serviceDiscovery) {
      switch (sd.kind) {
        case 'kubernetes':
          await checkTls(sd.httpClient, syntaxOnly, fail);
          break;
        case 'file':
          if (syntaxOnly) break;
          for (const pattern of sd.files) {
            const files = await globFiles(pattern);
            if (files.length === 0) {
              warnings.push(`file ${JSON.stringify(pattern)} for file_sd in scrape job ${JSON.stringify(sc.jobName)} does not exist`);
              continue;
            }
            for (const f of files) checkGroups(await readGroups(f, pattern, fail), sc, fail);
          }
          break;
        case 'static':
          checkGroups(sd.groups, sc, fail);
          break;
        default:
          break;
      }
    }
  }
  for (const am of cfg.alerting.alertmanagers) {
    for (const sd of am.serviceDiscovery) {
      if (sd.kind === 'file' && !syntaxOnly) {
        for (const pattern of sd.files) {
          const files = await globFiles(pattern);
          if (files.length === 0) warnings.push(`file ${JSON.stringify(pattern)} for file_sd in alertmanager config does not exist`);
          for (const f of files) await readGroups(f, pattern, fail);
        }
      }
    }
  }
  if (!syntaxOnly) await checkLogs(cfg, fail);
  return { ruleFiles, warnings };
}

// The logs section's files: listener certificates and keys, and token files with a usable secret.
async function checkLogs(cfg: Config, fail: (m: string, c?: unknown) => never): Promise<void> {
  for (const l of [...cfg.logs.tcp, ...cfg.logs.syslog]) {
    if (l.tls === undefined || l.listenAddress === '') continue;
    for (const [what, f] of [['cert', l.tls.certFile], ['key', l.tls.keyFile], ['client CA', l.tls.clientCaFile]] as const) {
      const e = await exists(f);
      if (e) fail(`logs listener ${JSON.stringify(l.name)}: error checking ${what} file ${JSON.stringify(f)}: ${e.message}`, e);
    }
  }
  for (const t of cfg.logs.tokens) {
    if (t.tokenFile === undefined) continue;
    let secret: string;
    try {
      secret = (await readFile(t.tokenFile, 'utf8')).trim();
    } catch (e) {
      return fail(`logs token of app ${JSON.stringify(t.app)}: cannot read token_file ${JSON.stringify(t.tokenFile)}: ${e instanceof Error ? e.message : String(e)}`, e);
    }
    if (secret.length < 16) fail(`logs token of app ${JSON.stringify(t.app)}: token_file ${JSON.stringify(t.tokenFile)} holds fewer than 16 characters`);
  }
}

async function readGroups(file: string, pattern: string, fail: (m: string, c?: unknown) => never): Promise<TargetGroup[]> {
  try {
    return parseTargetGroupFile(await readFile(file, 'utf8'), file);
  } catch (e) {
    if (e instanceof TargetGroupFileError) return fail(`checking SD file ${JSON.stringify(pattern)}: ${e.message}`, e);
    return fail(`checking SD file ${JSON.stringify(pattern)}: ${e instanceof Error ? e.message : String(e)}`, e);
  }
}

function checkGroups(groups: readonly TargetGroup[], sc: ScrapeConfig, fail: (m: string, c?: unknown) => never): void {
  for (const g of groups) {
    const { failures } = targetsFromGroup(g, sc, sc.relabelConfigs);
    if (failures.length > 0) fail(`scrape job ${JSON.stringify(sc.jobName)}: ${failures[0]!.message}`, failures[0]);
  }
}

async function checkTls(h: HttpClientConfig, syntaxOnly: boolean, fail: (m: string, c?: unknown) => never): Promise<void> {
  const t = h.tlsConfig;
  if (t === undefined) return;
  if (t.certFile !== undefined && t.keyFile === undefined) fail(`client cert file ${JSON.stringify(t.certFile)} specified without client key file`);
  if (t.keyFile !== undefined && t.certFile === undefined) fail(`client key file ${JSON.stringify(t.keyFile)} specified without client cert file`);
  if (syntaxOnly) return;
  const ce = await exists(t.certFile);
  if (ce) fail(`error checking client cert file ${JSON.stringify(t.certFile)}: ${ce.message}`, ce);
  const ke = await exists(t.keyFile);
  if (ke) fail(`error checking client key file ${JSON.stringify(t.keyFile)}: ${ke.message}`, ke);
}
