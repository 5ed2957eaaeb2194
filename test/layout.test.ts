// Enforces the import rules of DESIGN.md / STYLE.md: a folder imports another only through its
// index.ts, and only the folders it is allowed to depend on.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

// Folder (module) → modules it may import. Sub-folders are modules of their own where listed.
const RULES: Record<string, readonly string[]> = {
  model: [],
  instrument: ['model'],
  encoding: [],
  wal: ['encoding'],
  storage: ['model'],
  textparse: ['model'],
  relabel: ['model'],
  discovery: ['model', 'relabel'],
  probe: ['model'],
  scrape: ['model', 'textparse', 'relabel', 'discovery', 'probe', 'storage'],
  'tsdb/chunkenc': ['model', 'encoding', 'storage'],
  'tsdb/index': ['model', 'encoding', 'storage'],
  tsdb: ['model', 'encoding', 'wal', 'storage', 'tsdb/chunkenc', 'tsdb/index'],
  'promql/parser': ['model'],
  promql: ['model', 'storage', 'promql/parser'],
  'logs/parse': ['model'],
  'logs/store': ['model', 'encoding', 'wal'],
  'logs/logql': ['model', 'logs/store', 'promql', 'promql/parser', 'storage'],
  'logs/receive': ['model', 'logs/parse', 'logs/store', 'encoding'],
  rules: ['model', 'storage', 'promql', 'promql/parser', 'logs/logql'],
  notify: ['model'],
  agent: ['model', 'textparse', 'logs/parse', 'probe', 'wal', 'encoding', 'storage'],
  config: ['model', 'relabel', 'discovery', 'promql/parser', 'logs/logql'],
  api: ['*'],
  cli: ['*'],
};
const MODULES = Object.keys(RULES).sort((a, b) => b.length - a.length);

function moduleOf(file: string): string | undefined {
  const rel = relative(SRC, file).split(sep).join('/');
  return MODULES.find((m) => rel === m || rel.startsWith(m + '/'));
}

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

describe('source layout', () => {
  const files = [...walk(SRC)];

  it('puts every file in a module on the map', () => {
    const stray = files.filter((f) => moduleOf(f) === undefined).map((f) => relative(SRC, f));
    expect(stray).toEqual([]);
  });

  it('imports other modules only through index.ts and only as allowed', () => {
    const bad: string[] = [];
    for (const f of files) {
      const from = moduleOf(f)!;
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g)) {
        const target = resolve(dirname(f), m[1]!);
        const to = moduleOf(target.replace(/\.js$/, '.ts'));
        if (to === undefined || to === from) continue;
        if (f.endsWith('.test.ts') && (RULES[from]!.includes('*') || RULES[from]!.includes(to))) continue;
        // Self-metrics are usable by every engine above the byte-level folders.
        const allowed = RULES[from]!.includes('*') || RULES[from]!.includes(to) || (to === 'instrument' && !['model', 'encoding'].includes(from));
        const viaIndex = target.replace(/\.js$/, '') === join(SRC, to, 'index');
        const typeOnly = /^\s*(import|export)\s+type\s/.test(m[0].trim());
        if (!allowed && !(from === 'config' && typeOnly)) bad.push(`${relative(SRC, f)} → ${to} (not allowed)`);
        else if (!viaIndex && !RULES[from]!.includes('*')) bad.push(`${relative(SRC, f)} → ${m[1]} (not through ${to}/index.ts)`);
      }
      if (!['api', 'cli'].includes(from)) {
        for (const m of src.matchAll(/from\s+'(\.[^']+)'/g)) {
          const to = moduleOf(resolve(dirname(f), m[1]!).replace(/\.js$/, '.ts'));
          if (to === 'api' || to === 'cli') bad.push(`${relative(SRC, f)} imports ${to}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('uses no banned file names and no default exports', () => {
    const bad: string[] = [];
    for (const f of files) {
      const base = f.split(sep).pop()!;
      if (['types.ts', 'utils.ts', 'helpers.ts'].includes(base) || f.includes(`${sep}util${sep}`)) bad.push(relative(SRC, f));
      if (/^export default /m.test(readFileSync(f, 'utf8'))) bad.push(`${relative(SRC, f)}: default export`);
      if (/^export \* from/m.test(readFileSync(f, 'utf8'))) bad.push(`${relative(SRC, f)}: export *`);
    }
    expect(bad).toEqual([]);
  });
});
