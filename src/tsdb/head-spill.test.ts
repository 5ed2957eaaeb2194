import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Labels, Matcher, MatchType } from '../model/index.js';
import { ValueType } from '../storage/index.js';
import { ChunkSpill, Head } from './index.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-spill-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('ChunkSpill', () => {
  it('reads back what it wrote, queued or flushed, across blocks and files', () => {
    const sp = new ChunkSpill({ dir: join(tmp(), 's'), fileSize: 100_000 });
    const refs: [number, number, number][] = [];
    for (let i = 0; i < 500; i++) {
      const len = 50 + ((i * 7919) % 1500);
      refs.push([sp.write(bytes(len, i)), len, i]);
      if (i % 37 === 0) sp.flush();
    }
    // Some still queued, some flushed: both read back.
    for (const [ref, len, i] of refs) expect(Buffer.from(sp.read(ref, len)).equals(Buffer.from(bytes(len, i)))).toBe(true);
    sp.flush();
    for (const [ref, len, i] of refs) expect(Buffer.from(sp.read(ref, len)).equals(Buffer.from(bytes(len, i)))).toBe(true);
    expect(sp.files().length).toBeGreaterThan(2);
    // Freeing everything in the older files deletes them; the current one stays.
    for (const [ref, len] of refs) sp.free(ref, len);
    expect(sp.files().length).toBe(1);
    expect(sp.bytes()).toBe(0);
    sp.close();
  });

  it('sees data appended to a block it cached before', () => {
    const sp = new ChunkSpill({ dir: join(tmp(), 's') });
    const a = sp.write(bytes(100, 1));
    sp.flush();
    expect(sp.read(a, 100)[0]).toBe(1);
    const b = sp.write(bytes(100, 2));
    sp.flush();
    expect(Buffer.from(sp.read(b, 100)).equals(Buffer.from(bytes(100, 2)))).toBe(true);
    sp.close();
  });

  it('forgets queued chunks after a failed flush', () => {
    const sp = new ChunkSpill({ dir: join(tmp(), 's') });
    sp.write(bytes(100, 1));
    sp.abortPending();
    expect(sp.bytes()).toBe(0);
    const r = sp.write(bytes(10, 3));
    sp.flush();
    expect(sp.read(r, 10)[0]).toBe(3);
    expect(r % 2 ** 32).toBe(0);
    sp.close();
  });
});

describe('Head spilling', () => {
  it('moves old closed chunks to disk and serves the same samples', async () => {
    const dir = join(tmp(), 'spill');
    const h = new Head({ chunkRangeMs: 3_600_000, spillDir: dir });
    const ls = Array.from({ length: 50 }, (_, i) => Labels.fromStrings('__name__', 'm', 'i', String(i)));
    for (let k = 0; k < 1000; k++) {
      const a = h.appender();
      for (let i = 0; i < ls.length; i++) a.append(0, ls[i]!, k * 1000, Math.sin(k + i));
      await a.commit();
    }
    const read = async (): Promise<number[][]> => {
      const ss = await h.querier(0, Infinity).select([new Matcher(MatchType.Equal, '__name__', 'm')]);
      const out: number[][] = [];
      while (ss.next()) {
        const it = ss.at().iterator();
        const row: number[] = [];
        while (it.next() !== ValueType.None) row.push(it.atT(), it.atF());
        out.push(row);
      }
      return out;
    };
    const before = await read();
    const inMemory = h.arena.liveBytes();
    const moved = h.spillBefore(600_000);
    expect(moved).toBeGreaterThan(100);
    expect(h.arena.liveBytes()).toBeLessThan(inMemory);
    expect(h.spill!.bytes()).toBeGreaterThan(0);
    expect(await read()).toEqual(before);
    // Blocks written from the head read spilled chunks too.
    let n = 0;
    for (const s of h.seriesForBlock(0, 3_600_000)) for (const c of s.chunks) n += c.chunk.numSamples();
    expect(n).toBe(50 * 1000);
    // Truncation frees spilled chunks; close removes the files.
    h.truncateMemory(900_000);
    expect(h.spill!.bytes()).toBe(0);
    await h.close();
    expect(existsSync(dir)).toBe(false);
  });
});
