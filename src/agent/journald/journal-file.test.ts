// JournalFile and its parts: LZ4 blocks (hand-made and from the lz4 tool), LZ4 and XZ fields
// patched into a real journal file and compared with journalctl, cursors, and fuzzing of the
// file parser with truncated and mutated files.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { peer, required } from '../../../test/support/peers.js';
import { JournalFileError, Lz4Error } from './errors.js';
import { formatJournalCursor, parseJournalCursor, writeDecimal } from './journal-cursor.js';
import { JournalFile, newJournalEntry } from './journal-file.js';
import { JournalFilesReader } from './journal-files-reader.js';
import { decodeLz4Block } from './lz4-block.js';

const REMOTE = '/lib/systemd/systemd-journal-remote';
const journalctl = peer('journalctl');
const lz4 = peer('lz4');
const xz = peer('xz');
const haveRemote = journalctl !== undefined && required(existsSync(REMOTE), 'systemd-journal-remote (journal-fixture.sh install)');

/** The LZ4 block inside the lz4 tool's frame (one block: the input is below the block size). */
function lz4Block(data: Buffer): Buffer {
  const frame = execFileSync(lz4!, ['-c', '-q', '--no-frame-crc', '-BD'], { input: data });
  expect(frame.readUInt32LE(0)).toBe(0x184d2204);
  const flg = frame[4]!;
  let p = 6 + ((flg & 8) !== 0 ? 8 : 0) + ((flg & 1) !== 0 ? 4 : 0) + 1;
  const size = frame.readUInt32LE(p);
  p += 4;
  if ((size & 0x8000_0000) !== 0) throw new Error('the lz4 tool stored the block uncompressed');
  return frame.subarray(p, p + size);
}

describe('decodeLz4Block', () => {
  it.each([
    { name: 'literals only', src: [0x50, 104, 101, 108, 108, 111], want: 'hello' },
    // "ab" then a match of 8 at distance 2 (overlapping), then literal "c".
    { name: 'overlapping match', src: [0x24, 97, 98, 2, 0, 0x10, 99], want: 'ababababab' + 'c' },
    // 15+5 literals (length byte 5), then the end.
    { name: 'long literal length', src: [0xf0, 5, ...Buffer.from('abcdefghijklmnopqrst')], want: 'abcdefghijklmnopqrst' },
  ])('$name', ({ src, want }) => {
    const b = Buffer.from(src);
    expect(decodeLz4Block(b, 0, b.length, want.length).toString()).toBe(want);
  });

  it.each([
    { name: 'a match before the output', src: [0x10, 97, 5, 0] },
    { name: 'literals past the input', src: [0x50, 97] },
    { name: 'a size that does not match', src: [0x10, 97], size: 5 },
    { name: 'a cut match offset', src: [0x10, 97, 1] },
  ])('refuses $name with an Lz4Error', ({ src, size }) => {
    const b = Buffer.from(src);
    expect(() => decodeLz4Block(b, 0, b.length, size ?? 1)).toThrow(Lz4Error);
  });

  it.skipIf(lz4 === undefined)('decodes the lz4 tool output', () => {
    for (const data of [Buffer.from('journal '.repeat(500)), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251)), Buffer.from('x'.repeat(70_000))]) {
      const blk = lz4Block(data);
      expect(decodeLz4Block(blk, 0, blk.length, data.length).equals(data)).toBe(true);
    }
  });

  it('throws only Lz4Error on any input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 300 }), (src, size) => {
        try {
          decodeLz4Block(src, 0, src.length, size);
        } catch (e) {
          expect(e).toBeInstanceOf(Lz4Error);
        }
      }),
    );
  });
});

describe('journal cursors', () => {
  it('formats as journalctl does and parses back', () => {
    const e = newJournalEntry();
    Object.assign(e, { seqnum: 0x1f, realtime: 0x660d7e711fafd, monotonic: 1, bootId: 'e84d2341b4414316b5b47f1dbba69649', bootBytes: Buffer.from('e84d2341b4414316b5b47f1dbba69649', 'hex'), xorHi: 0xaba969c8, xorLo: 0x0da63a9c });
    const c = formatJournalCursor('167ed734aed14cb79a614d576072ca8e', e);
    expect(c).toBe('s=167ed734aed14cb79a614d576072ca8e;i=1f;b=e84d2341b4414316b5b47f1dbba69649;m=1;t=660d7e711fafd;x=aba969c80da63a9c');
    expect(parseJournalCursor(c)).toEqual({ seqnumId: '167ed734aed14cb79a614d576072ca8e', seqnum: 31, bootId: e.bootId, monotonic: 1, realtime: 0x660d7e711fafd, xorHash: 'aba969c80da63a9c' });
    e.xorHi = 0;
    e.xorLo = 0xabc;
    expect(formatJournalCursor('0'.repeat(32), e)).toMatch(/;x=abc$/);
  });

  it.each(['', 'not-a-cursor', 's=abc;i=1', 'x=12', 's=167ed734aed14cb79a614d576072ca8e', 'i=zz;t=1'])('refuses %j', (c) => {
    expect(parseJournalCursor(c)).toBeUndefined();
  });

  it('writes decimals of whole numbers below 2^53', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (v) => {
        const b = Buffer.alloc(20);
        expect(b.toString('latin1', 0, writeDecimal(b, 0, v))).toBe(String(v));
      }),
    );
  });

  it('never throws on any text', () => {
    fc.assert(fc.property(fc.string(), (s) => void parseJournalCursor(s)));
  });
});

describe.skipIf(!haveRemote)('JournalFile on patched and broken files', () => {
  const base = mkdtempSync(join(tmpdir(), 'vigil-jf-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  let n = 0;
  /** A regular-layout, uncompressed file with entries that have a 2 KB repetitive BIG field. */
  const plainFile = (): string => {
    const d = join(base, String(n++));
    mkdirSync(d);
    const parts: string[] = [];
    for (let i = 1; i <= 6; i++) parts.push(`__REALTIME_TIMESTAMP=${1_795_330_271_000_000 + i}\n_BOOT_ID=${'ab'.repeat(16)}\nMESSAGE=m${i}\nBIG=${`big ${i} `.repeat(300)}\n\n`);
    const file = join(d, 'p.journal');
    execFileSync(REMOTE, [`--output=${file}`, '--compress=no', '-'], { input: parts.join(''), env: { ...process.env, SYSTEMD_JOURNAL_COMPACT: '0' }, stdio: ['pipe', 'ignore', 'ignore'] });
    return file;
  };
  /** Rewrites each `field` (default BIG) data object's payload compressed by `compress`, with object flag `objFlag` and header flag `fileFlag`. */
  const patch = (file: string, compress: (b: Buffer) => Buffer, objFlag: number, fileFlag: number, field = 'BIG='): void => {
    const f = new JournalFile({ path: file });
    const offsets = new Set<number>();
    const e = newJournalEntry();
    for (let i = 0; i < f.header.nEntries; i++) {
      f.readEntry(f.entryOffset(i), e);
      for (let k = 0; k < e.nItems; k++) if (f.data(e.items[k]!).payload.subarray(0, field.length).toString() === field) offsets.add(e.items[k]!);
    }
    const buf = readFileSync(file);
    for (const off of offsets) {
      const size = Number(buf.readBigUInt64LE(off + 8));
      const payload = Buffer.from(buf.subarray(off + 64, off + size));
      const z = compress(payload);
      expect(z.length).toBeLessThan(payload.length);
      z.copy(buf, off + 64);
      buf[off + 1] = objFlag;
      buf.writeBigUInt64LE(BigInt(64 + z.length), off + 8);
    }
    buf.writeUInt32LE(buf.readUInt32LE(12) | fileFlag, 12);
    f.close();
    writeFileSync(file, buf);
  };
  const exportOf = (dir: string): { out: Buffer; errors: string[] } => {
    const r = new JournalFilesReader({ roots: [{ path: dir }] });
    r.scan();
    r.seekHead();
    r.read(1000);
    const out = { out: Buffer.from(r.output), errors: [...r.errors.values()] };
    r.close();
    return out;
  };

  it.skipIf(lz4 === undefined)('reads LZ4-compressed fields as journalctl does', () => {
    const file = plainFile();
    patch(
      file,
      (p) => {
        const size = Buffer.alloc(8);
        size.writeUInt32LE(p.length, 0);
        return Buffer.concat([size, lz4Block(p)]);
      },
      2,
      2,
    );
    const dir = join(file, '..');
    const want = execFileSync(journalctl!, [`--directory=${dir}`, '-o', 'export']);
    expect(execFileSync(journalctl!, [`--directory=${dir}`, '--header'], { encoding: 'utf8' })).toMatch(/COMPRESSED-LZ4/);
    expect(want.toString()).toContain('BIG=big 6 big 6');
    const got = exportOf(dir);
    expect(got.errors).toEqual([]);
    expect(got.out.equals(want)).toBe(true);
  });

  it.skipIf(xz === undefined)('reports XZ-compressed fields per entry and ships the rest', () => {
    const file = plainFile();
    patch(file, (p) => execFileSync(xz!, ['--format=xz', '-c'], { input: p }), 1, 1);
    const dir = join(file, '..');
    const want = execFileSync(journalctl!, [`--directory=${dir}`, '-o', 'export']).toString('latin1');
    const got = exportOf(dir);
    expect(got.errors).toHaveLength(6);
    expect(got.errors[0]).toMatch(/xz-compressed field/);
    // The same, less the BIG fields.
    expect(got.out.toString('latin1')).toBe(want.replace(/^BIG=.*\n/gm, ''));
  });

  it.skipIf(xz === undefined)('an entry with a field that fails before fields it shares with the entry before keeps its own fields', () => {
    // Entries 2 and 3 share A and Y at the same item positions, with X and ODD between them;
    // ODD cannot be read. Entry 3's A and Y are taken again from entry 2 (not looked up): Y must
    // land in ODD's place, not leave entry 2's X there.
    const d = join(base, String(n++));
    mkdirSync(d);
    const odd = `ODD=${'odd '.repeat(300)}`;
    const fields = [['A=a', 'X=x', odd, 'Y=y'], ['A=a', 'X=x', 'Y=y'], ['A=a', odd, 'Y=y'], ['A=a', 'X=x', 'Y=y']];
    const input = fields.map((f, i) => `__REALTIME_TIMESTAMP=${1_795_330_271_000_000 + i}\n_BOOT_ID=${'ab'.repeat(16)}\n${f.join('\n')}\nMESSAGE=m${i}\n\n`).join('');
    const file = join(d, 'p.journal');
    execFileSync(REMOTE, [`--output=${file}`, '--compress=no', '-'], { input, env: { ...process.env, SYSTEMD_JOURNAL_COMPACT: '0' }, stdio: ['pipe', 'ignore', 'ignore'] });
    patch(file, (p) => execFileSync(xz!, ['--format=xz', '-c'], { input: p }), 1, 1, 'ODD=');
    const want = execFileSync(journalctl!, [`--directory=${d}`, '-o', 'export']).toString('latin1');
    const got = exportOf(d);
    expect(got.errors).toHaveLength(2);
    expect(got.out.toString('latin1')).toBe(want.replace(/^ODD=.*\n/gm, ''));
  });

  it('gives a JournalFileError (or nothing) for truncated and mutated files, and always ends', () => {
    const file = plainFile();
    const f = new JournalFile({ path: file });
    const used = f.header.tailObjectOffset + 4096;
    f.close();
    const orig = readFileSync(file).subarray(0, used);
    const dir = join(base, 'fuzz');
    mkdirSync(dir);
    const target = join(dir, 'f.journal');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: orig.length }),
        fc.array(fc.tuple(fc.nat(orig.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 24 }),
        fc.boolean(),
        (cut, edits, headerToo) => {
          const b = Buffer.from(orig.subarray(0, cut));
          for (const [at, v] of edits) if (at < b.length && (headerToo || at >= 264)) b[at] = v;
          writeFileSync(target, b);
          const r = new JournalFilesReader({ roots: [{ path: dir }] });
          try {
            r.scan();
            r.seekHead();
            for (let i = 0; i < 1000; i++) {
              r.read(10);
              if (r.exhausted) break;
            }
            expect(r.exhausted).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(JournalFileError);
          } finally {
            r.close();
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
