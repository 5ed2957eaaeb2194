// Real peers for integration tests (Debian binaries). With CI=true a missing peer is a failure,
// never a silent skip; locally, tests that need it are skipped with the reason printed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** IN_CI is true when the CI environment variable says so. */
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** findBinary returns the absolute path of a program, or undefined. */
export function findBinary(name: string, extra: readonly string[] = []): string | undefined {
  for (const p of extra) if (existsSync(p)) return p;
  try {
    const out = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    return out === '' ? undefined : out;
  } catch {
    return undefined;
  }
}

/**
 * peer returns the path of a required binary. In CI a missing binary throws (the test fails);
 * elsewhere it returns undefined so the caller can use `describe.skipIf(!path)`.
 */
export function peer(name: string, extra: readonly string[] = []): string | undefined {
  const p = findBinary(name, extra);
  if (p === undefined) {
    const msg = `real peer "${name}" is not installed (scripts/test.sh installs it as root)`;
    if (IN_CI) throw new Error(msg);
    process.stderr.write(`SKIP: ${msg}\n`);
  }
  return p;
}

/**
 * required returns `ok`, for conditions other than a binary that a test needs (a harness
 * script, root, a mount, a built bin/). In CI a false condition throws (the test file fails);
 * elsewhere the reason is printed and the caller skips.
 */
export function required(ok: boolean, what: string): boolean {
  if (!ok) {
    const msg = `test precondition not met: ${what}`;
    if (IN_CI) throw new Error(msg);
    process.stderr.write(`SKIP: ${msg}\n`);
  }
  return ok;
}
