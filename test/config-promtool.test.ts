// vigil's config loader against the real `promtool check config` (Debian prometheus 2.42): every
// file in src/config/testdata/good and bad must be accepted or rejected by both alike, and every
// rejection by vigil must name the file, a line:col and the offending key.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
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

  describe.skipIf(!promtool)('agrees with promtool check config --syntax-only', () => {
    const verdicts = promtool ? promtoolVerdicts([...good, ...bad]) : new Map<string, boolean>();
    it.each([...good, ...bad])('%s', async (rel) => {
      expect(verdicts.has(rel)).toBe(true);
      const r = await vigilAccepts(rel);
      expect({ file: rel, vigil: r.ok, error: r.ok ? undefined : String(r.error) }).toEqual({ file: rel, vigil: verdicts.get(rel), error: r.ok ? undefined : String(r.error) });
    });
  });
});
