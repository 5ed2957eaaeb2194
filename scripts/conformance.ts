/**
 * `npm run conformance [dir|file…] [--verbose]`: runs Prometheus's PromQL test scripts against
 * vigil's engine and prints every failure (file, line, expression, what differed), the skipped
 * cases grouped by reason, per-tag counts, and a last line `N passed, N failed, N skipped`.
 * Exits 1 when a case fails.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runScript, type CaseResult } from '../src/promql/promqltest/index.js';

const DEFAULT_DIR = '/work/shared/conformance/promql';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const verbose = args.includes('--verbose');
  const targets = args.filter((a) => !a.startsWith('--'));
  const files: string[] = [];
  for (const t of targets.length > 0 ? targets : [process.env.PROMQL_CONFORMANCE_DIR ?? DEFAULT_DIR]) {
    if (statSync(t).isDirectory()) {
      for (const f of readdirSync(t).sort()) if (f.endsWith('.test')) files.push(join(t, f));
    } else files.push(t);
  }
  const all: CaseResult[] = [];
  const began = performance.now();
  for (const f of files) {
    const results = await runScript(basename(f), readFileSync(f, 'utf8'));
    all.push(...results);
  }
  const failed = all.filter((r) => r.status === 'fail');
  const skipped = all.filter((r) => r.status === 'skip');
  const passed = all.filter((r) => r.status === 'pass');
  for (const r of failed) {
    process.stdout.write(`FAIL ${r.file}:${r.line} ${r.expr}\n     ${(r.reason ?? '').split('\n').join('\n     ')}\n`);
  }
  const byReason = new Map<string, CaseResult[]>();
  for (const r of skipped) {
    const k = r.reason ?? 'unknown';
    byReason.set(k, [...(byReason.get(k) ?? []), r]);
  }
  if (skipped.length > 0) process.stdout.write('\nSkipped:\n');
  for (const [reason, rs] of [...byReason].sort((a, b) => b[1].length - a[1].length)) {
    process.stdout.write(`  ${rs.length} × ${reason}\n`);
    if (verbose) for (const r of rs) process.stdout.write(`      ${r.file}:${r.line} ${r.expr}\n`);
  }
  const tags = new Map<string, { pass: number; fail: number; skip: number }>();
  for (const r of all) {
    for (const t of r.tags.length > 0 ? r.tags : ['core']) {
      const c = tags.get(t) ?? { pass: 0, fail: 0, skip: 0 };
      c[r.status]++;
      tags.set(t, c);
    }
  }
  process.stdout.write('\nBy tag (FORMAT.md §10):\n');
  for (const [t, c] of [...tags].sort()) process.stdout.write(`  ${t}: ${c.pass} passed, ${c.fail} failed, ${c.skip} skipped\n`);
  process.stdout.write(`\n${files.length} files in ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`${passed.length} passed, ${failed.length} failed, ${skipped.length} skipped\n`);
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`conformance: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
