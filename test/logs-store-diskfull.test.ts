// Disk full: the store lives on a 2 MiB tmpfs. Appends must fail with a clear StoreFullError
// (nothing of the rejected batch stored), everything acknowledged before stays readable, and
// ingest resumes once space returns; a reopen finds every acknowledged entry exactly once.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Labels, Matcher, MatchType } from '../src/model/index.js';
import { DiskLogStore, StoreFullError, type LogEntry } from '../src/logs/store/index.js';
import { IN_CI } from './support/peers.js';

function tryMount(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (e) {
    const msg = `cannot mount a tmpfs for the disk-full test (needs root): ${(e as Error).message}`;
    if (IN_CI) throw new Error(msg);
    process.stderr.write(`SKIP: ${msg}\n`);
    return false;
  }
}

// Lines that compress poorly, so the small disk fills after a few hundred KB of text.
function batch(k: number): LogEntry[] {
  let x = k * 2654435761;
  return Array.from({ length: 40 }, (_, i) => {
    let s = '';
    for (let j = 0; j < 3; j++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      s += x.toString(36);
    }
    return { t: 1_700_000_000_000 + k * 1000 + i, ns: 0, line: `batch=${k} line=${i} level=info msg="request served" path=/api/v1/orders/${i} user=${s}` };
  });
}

const root = mkdtempSync(join(tmpdir(), 'vigil-logfull-'));
const mounted = tryMount(root);

describe.skipIf(!mounted)('log store on a full disk', () => {
  const dir = join(root, 'logs');
  const filler = join(root, 'filler');
  const labels = Labels.fromStrings('app', 'full');
  const acked: number[] = [];
  let store: DiskLogStore | undefined;

  beforeAll(() => {
    mkdirSync(dir);
    writeFileSync(filler, Buffer.alloc(700 * 1024, 1));
  });

  afterAll(() => {
    try {
      execFileSync('umount', [root], { stdio: 'pipe' });
    } catch {
      // Files still open (a failed assertion left the store open): detach lazily.
      execFileSync('umount', ['-l', root], { stdio: 'pipe' });
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('rejects appends clearly when full and resumes when space returns', async () => {
    store = await DiskLogStore.open({ dir, blockBytes: 8192, chunkBytes: 32768, walSegmentBytes: 128 * 1024, maxPendingBytes: 16384, maintenanceIntervalMs: 0, onCorruption: () => {} });
    let full: unknown;
    for (let k = 0; k < 10_000; k++) {
      try {
        await store.append(labels, batch(k));
        acked.push(k);
      } catch (e) {
        full = e;
        break;
      }
    }
    if (store === undefined) throw new Error('unreachable');
    expect(full).toBeInstanceOf(StoreFullError);
    expect((full as Error).message).toMatch(/disk is full/);
    expect(acked.length).toBeGreaterThan(10);
    // Still serving what it has, still rejecting while full.
    const before = await count(store);
    expect(before).toBe(acked.length * 40);
    await expect(store.append(labels, batch(100_000))).rejects.toBeInstanceOf(StoreFullError);

    // Space returns: appends and flushes work again.
    rmSync(filler);
    const next = acked[acked.length - 1]! + 1;
    for (let k = next; k < next + 5; k++) {
      await store.append(labels, batch(k));
      acked.push(k);
    }
    await store.flush();
    expect(store.diskBytes().wal).toBe(0);
    expect(await count(store)).toBe(acked.length * 40);
    await store.close();

    // A fresh open sees every acknowledged entry exactly once.
    const again = await DiskLogStore.open({ dir, maintenanceIntervalMs: 0 });
    const lines = new Map<string, number>();
    for await (const b of again.select({ matchers: [new Matcher(MatchType.Equal, 'app', 'full')], mint: 0, maxt: Number.MAX_SAFE_INTEGER, direction: 'forward', limit: 0 })) {
      for (const e of b.entries) lines.set(e.line, (lines.get(e.line) ?? 0) + 1);
    }
    await again.close();
    expect([...lines.values()].every((n) => n === 1)).toBe(true);
    for (const k of acked) expect(lines.has(batch(k)[0]!.line)).toBe(true);
    expect(lines.size).toBe(acked.length * 40);
  }, 120_000);
});

async function count(store: DiskLogStore): Promise<number> {
  let n = 0;
  for (const c of await store.cursors({ matchers: [new Matcher(MatchType.Equal, 'app', 'full')], mint: 0, maxt: Number.MAX_SAFE_INTEGER, direction: 'forward', lines: false })) {
    for (let b = await c.next(); b !== undefined; b = await c.next()) n += b.count;
  }
  return n;
}
