// Fuzzing the parsers: random and mutated corpus input never makes them throw or hang, and
// text no format claims comes back byte for byte.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineParser } from './line-parser.js';
import { LogStreamDecoder } from './log-stream-decoder.js';
import { ParsedLine } from './parsed-line.js';
import { rawBytes } from './raw-bytes.js';
import { shared } from '../../../test/support/shared.js';

const CORPUS = shared('corpus/logs');

function corpusLines(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (!e.endsWith('.md') && !e.endsWith('.journal') && !e.endsWith('.py')) {
        for (const l of readFileSync(p, 'utf8').split('\n')) if (l.length > 0 && l.length < 4000) out.push(l);
      }
    }
  };
  walk(CORPUS);
  return out;
}

const LINES = corpusLines();

/** A corpus line with random edits: cut, inserted characters, replaced characters. */
const mutatedLine = fc
  .tuple(fc.constantFrom(...LINES), fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ maxLength: 4, unit: 'binary' })), { maxLength: 5 }))
  .map(([line, edits]) => {
    let s = line;
    for (const [pos, kind, text] of edits) {
      const at = s.length === 0 ? 0 : pos % s.length;
      if (kind === 0) s = s.slice(0, at);
      else if (kind === 1) s = s.slice(0, at) + text + s.slice(at);
      else s = s.slice(0, at) + text + s.slice(at + text.length);
    }
    return s;
  });

describe('parser fuzzing', () => {
  it('LineParser never throws on random text', () => {
    const p = new LineParser({ payloadFields: true });
    const out = new ParsedLine();
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (s) => {
        p.parse(s, 1_700_000_000_000, out);
        p.parseSyslog(s, 1_700_000_000_000, out);
        expect(Number.isFinite(out.t) && out.ns >= 0 && out.ns < 1_000_000).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('LineParser never throws on mutated corpus lines, and keeps time fields in range', () => {
    const plain = new LineParser();
    const rich = new LineParser({ payloadFields: true, jsonMessage: true, timeZone: 'America/New_York' });
    const out = new ParsedLine();
    fc.assert(
      fc.property(mutatedLine, (s) => {
        for (const p of [plain, rich]) {
          p.parse(s, 1_700_000_000_000, out);
          expect(Number.isInteger(out.t) && Number.isInteger(out.ns) && out.ns >= 0 && out.ns < 1_000_000).toBe(true);
          p.parseSyslog(s, 1_700_000_000_000, out);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('LogStreamDecoder never throws on random bytes in random chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 1, max: 300 }), fc.boolean(), (bytes, chunk, split) => {
        const d = new LogStreamDecoder({ maxLineBytes: 64, longLines: split ? 'split' : 'truncate' });
        let n = 0;
        const buf = Buffer.from(bytes);
        for (let i = 0; i < buf.length; i += chunk) d.write(buf.subarray(i, i + chunk), 0, () => void n++);
        d.end(0, () => void n++);
        expect(n).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('LogStreamDecoder never throws on mutated journal export streams', () => {
    const exportBytes = readFileSync(join(CORPUS, 'journald-export/coredump-entry.journalctl-o-export.export'));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(exportBytes.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(exportBytes.length), (flips, cut) => {
        const b = Buffer.from(exportBytes.subarray(0, cut));
        for (const [at, v] of flips) if (at < b.length) b[at] = v;
        const d = new LogStreamDecoder();
        d.write(b, 0, () => {});
        d.end(0, () => {});
      }),
      { numRuns: 500 },
    );
  });

  it('text no format claims is stored byte for byte', () => {
    // Bytes that cannot start any format: no letters, digits, { or <; lines start with a space or
    // a byte ≥ 0x80, so nothing is parsed or grouped (grouping off), and no CR.
    const byte = fc.constantFrom(0x20, 0x21, 0x23, 0x2e, 0x00, 0x0a, 0x80, 0xbf, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0xff);
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 500 }), fc.integer({ min: 1, max: 50 }), (arr, chunk) => {
        const input = Buffer.from(arr);
        const d = new LogStreamDecoder({ multiline: false });
        const parts: Buffer[] = [];
        const sink = (p: ParsedLine): void => void parts.push(rawBytes(p.toEntry()));
        for (let i = 0; i < input.length; i += chunk) d.write(input.subarray(i, i + chunk), 7, sink);
        d.end(7, sink);
        const joined = Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [Buffer.from('\n'), p])));
        const want = input.length > 0 && input[input.length - 1] === 10 ? input.subarray(0, -1) : input;
        expect(joined.toString('hex')).toBe(want.toString('hex'));
      }),
      { numRuns: 1000 },
    );
  });

  it('writeLine gives what write gives for the same lines', () => {
    // Corpus lines and odd bytes (invalid UTF-8, CR, a real U+FFFD, `_` and `-- ` starts, a
    // line too long), fed line by line both ways, with partial lines between (write only, as
    // a file tailer does when a line is still being written: the rest then comes through
    // writeLine with the head pending).
    const odd = fc.constantFrom('', '\r', '\uFFFD', '_x', '__CURSOR=s=1', '-- Boot 0123456789abcdef0123456789abcdef --', 'x'.repeat(200), '\u00e9');
    const bytesOf = (l: string, bad: number): Buffer => (bad === 0 ? Buffer.from(l) : Buffer.concat([Buffer.from(l), Buffer.from([0xc3, bad])]));
    const line = fc.tuple(fc.oneof(fc.constantFrom(...LINES), fc.string({ maxLength: 80 })), odd, fc.constantFrom(0, 0x28, 0xff), fc.boolean());
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (ls, multiline) => {
        const out: string[][] = [[], []];
        for (const way of [0, 1]) {
          const d = new LogStreamDecoder({ multiline, maxLineBytes: 400 });
          const sink = (p: ParsedLine): void => void out[way]!.push(JSON.stringify([p.format, p.t, p.level, p.line, p.fields ?? {}, rawBytes(p.toEntry()).toString('hex')]));
          for (const [text, extra, bad, split] of ls) {
            const b = Buffer.concat([bytesOf(text + extra, bad), Buffer.from('\n')]);
            const at = split ? b.length >> 1 : 0;
            if (at > 0) d.write(b.subarray(0, at), 5, sink);
            if (way === 0) d.write(b.subarray(at), 5, sink);
            else d.writeLine(b, at, b.length - 1, 5, sink);
          }
          d.end(5, sink);
        }
        expect(out[1]).toEqual(out[0]);
      }),
      { numRuns: 1000 },
    );
  });

  it('pathological JSON nesting is an error, not a stack overflow', () => {
    const out = new ParsedLine();
    new LineParser().parse(`{"a":${'['.repeat(100_000)}`, 0, out);
    expect(out.fields?.parse_error).toMatch(/nested too deeply/);
    new LineParser({ payloadFields: true }).parse(`{"a":${'['.repeat(400)}${']'.repeat(400)}}`, 0, out);
    expect(out.format).toBe('json');
  });
});
