// vigil's config loader against the real `promtool check config` (Debian prometheus 2.42): every
// file in src/config/testdata/good and bad must be accepted or rejected by both alike, and every
// rejection by vigil must name the file, a line:col and the offending key.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigCheckError, ConfigError, checkConfig, parseConfig } from '../src/config/index.js';
import { peer } from './support/peers.js';

const TESTDATA = resolve(import.meta.dirname, '../src/config/testdata');
const promtool = peer('promtool');

function files(dir: string): string[] {
  return readdirSync(join(TESTDATA, dir)).filter((f) => f.endsWith('.yml')).sort().map((f) => join(dir, f));
}

async function vigilAccepts(rel: string): Promise<{ ok: boolean; error?: unknown }> {
  const path = join(TESTDATA, rel);
  try {
    const cfg = parseConfig(readFileSync(path, 'utf8'), path);
    await checkConfig(cfg, { syntaxOnly: true });
    return { ok: true };
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ConfigCheckError) return { ok: false, error: e };
    throw e;
  }
}

// promtool reports each file as "Checking F" followed by a SUCCESS or FAILED line.
function promtoolVerdicts(rels: readonly string[]): Map<string, boolean> {
  // "Checking" goes to stdout and FAILED to stderr: merge them in order through one pipe.
  const r = spawnSync('sh', ['-c', '"$0" check config --syntax-only "$@" 2>&1', promtool!, ...rels], { cwd: TESTDATA, encoding: 'utf8' });
  const out = r.stdout;
  const verdicts = new Map<string, boolean>();
  let current: string | undefined;
  for (const line of out.split('\n')) {
    const m = /^Checking (.+)$/.exec(line);
    if (m) current = m[1]!;
    else if (current !== undefined && /SUCCESS/.test(line)) verdicts.set(current, true);
    else if (current !== undefined && /FAILED/.test(line)) verdicts.set(current, false);
  }
  return verdicts;
}

describe('config corpus', () => {
  const good = files('good');
  const bad = files('bad');

  it.each(good)('vigil accepts %s', async (rel) => {
    const r = await vigilAccepts(rel);
    expect(r.error).toBeUndefined();
  });

  it.each(files('good-upstream'))('vigil accepts %s (upstream-only SD)', async (rel) => {
    expect((await vigilAccepts(rel)).error).toBeUndefined();
  });

  it.each(bad)('vigil rejects %s with position and key', async (rel) => {
    const r = await vigilAccepts(rel);
    expect(r.ok).toBe(false);
    const key = /^# key: (.*)$/m.exec(readFileSync(join(TESTDATA, rel), 'utf8'))?.[1] ?? '';
    if (r.error instanceof ConfigError) {
      expect(r.error.message).toMatch(new RegExp(`^${join(TESTDATA, rel).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
      expect(r.error.line).toBeGreaterThan(1);
      if (key !== '') expect(r.error.key).toBe(key);
    } else {
      // Target checks (promtool's checkTargetGroupsForScrapeConfig) have no YAML position.
      expect(r.error).toBeInstanceOf(ConfigCheckError);
      expect(key).toBe('');
    }
  });

  it.each(files('vigil-stricter'))('vigil deliberately rejects %s (see its README)', async (rel) => {
    const r = await vigilAccepts(rel);
    expect(r.error).toBeInstanceOf(ConfigError);
    const key = /^# key: (.*)$/m.exec(readFileSync(join(TESTDATA, rel), 'utf8'))![1]!;
    expect((r.error as ConfigError).key).toBe(key);
  });

  describe.skipIf(!promtool)('agrees with promtool check config --syntax-only', () => {
    const verdicts = promtool ? promtoolVerdicts([...good, ...bad]) : new Map<string, boolean>();
    it.each([...good, ...bad])('%s', async (rel) => {
      expect(verdicts.has(rel)).toBe(true);
      const r = await vigilAccepts(rel);
      expect({ file: rel, vigil: r.ok, error: r.ok ? undefined : String(r.error) }).toEqual({ file: rel, vigil: verdicts.get(rel), error: r.ok ? undefined : String(r.error) });
    });
  });
});

// Without --syntax-only, promtool also checks referenced files: rule files, credential and
// certificate files, and the content of file_sd files (their targets are populated too).
describe.skipIf(!promtool)('agrees with promtool check config (file checks)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-promtool-'));
  writeFileSync(join(dir, 'rules.yml'), 'groups: []\n');
  writeFileSync(join(dir, 'token'), 't\n');
  writeFileSync(join(dir, 'good.json'), '[{"targets": ["a:1"], "labels": {"x": "y"}}]');
  writeFileSync(join(dir, 'bad-label.json'), '[{"targets": ["a:1"], "labels": {"bad-name": "y"}}]');
  writeFileSync(join(dir, 'bad-syntax.yml'), '- targets: [a:1\n');
  writeFileSync(join(dir, 'url-target.yml'), '- targets: ["http://a/b"]\n');
  writeFileSync(join(dir, 'bad-interval.yml'), '- targets: ["a:1"]\n  labels: {__scrape_interval__: nope}\n');
  const cases: Record<string, string> = {
    'rules-exist': 'rule_files: [rules.yml, "none/*.yml"]\n',
    'rules-missing': 'rule_files: [missing.yml]\n',
    'token-exists': 'scrape_configs:\n  - job_name: a\n    bearer_token_file: token\n',
    'token-missing': 'scrape_configs:\n  - job_name: a\n    authorization: {credentials_file: nope}\n',
    'cert-missing': 'scrape_configs:\n  - job_name: a\n    tls_config: {cert_file: c.pem, key_file: k.pem}\n',
    'file-sd-good': 'scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: ["good.json", "absent.json"]}]\n',
    'file-sd-bad-label': 'scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: ["bad-label.json"]}]\n',
    'file-sd-bad-syntax': 'scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: ["bad-syntax.yml"]}]\n',
    'file-sd-url-target': 'scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: ["url-target.yml"]}]\n',
    'file-sd-bad-interval': 'scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: ["*-interval.yml"]}]\n',
  };
  for (const [name, text] of Object.entries(cases)) writeFileSync(join(dir, `${name}.conf.yml`), text);
  const names = Object.keys(cases).map((n) => `${n}.conf.yml`);
  const r = spawnSync('sh', ['-c', '"$0" check config "$@" 2>&1', promtool!, ...names], { cwd: dir, encoding: 'utf8' });
  const verdicts = new Map<string, boolean>();
  let current: string | undefined;
  for (const line of r.stdout.split('\n')) {
    const m = /^Checking (.+)$/.exec(line);
    if (m) current = m[1]!;
    else if (current !== undefined && /SUCCESS/.test(line)) verdicts.set(current, true);
    else if (current !== undefined && /FAILED/.test(line)) verdicts.set(current, false);
  }
  it.each(names)('%s', async (name) => {
    expect(verdicts.has(name)).toBe(true);
    let ok = true;
    let error = '';
    try {
      await checkConfig(parseConfig(readFileSync(join(dir, name), 'utf8'), join(dir, name)));
    } catch (e) {
      ok = false;
      error = String(e);
    }
    expect({ name, ok, error: ok ? '' : error }).toEqual({ name, ok: verdicts.get(name), error: ok ? '' : error });
  });
});
