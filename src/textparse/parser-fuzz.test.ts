// Fuzzing: whatever the bytes, the parsers either finish or throw ParseError, and never loop.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryKind, OpenMetricsParser, ParseError, PromParser, type Parser, validateOpenMetrics } from './index.js';
import { shared } from '../../test/support/shared.js';

function run(p: Parser, len: number): void {
  let n = 0;
  for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
    if (++n > len + 2) throw new Error('parser does not advance');
    if (k === EntryKind.Series) {
      p.labels();
      p.metricName();
      p.exemplar();
      expect(p.seriesEnd()).toBeGreaterThanOrEqual(p.seriesStart());
    } else if (k === EntryKind.Help) p.help();
    else if (k === EntryKind.Comment) p.comment();
    else if (k === EntryKind.Type || k === EntryKind.Unit) p.family();
  }
}

function onlyParseErrors(buf: Buffer): void {
  for (const f of [() => run(new PromParser(buf), buf.length), () => run(new OpenMetricsParser(buf), buf.length), () => validateOpenMetrics(buf)]) {
    try {
      f();
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
    }
  }
}

const ALPHABET = [...'{}"=,#\n \t\\.-+_:eE0123456789aNnIif', '\u0000', '\xff', '\xc3', '# EOF\n', '# HELP ', '# TYPE ', ' # {', 'le="', '"} '];

function seeds(): Buffer[] {
  const out = [
    'up 1\n',
    '# HELP a x\n# TYPE a counter\na_total{b="c"} 1 2\n',
    '# TYPE h histogram\nh_bucket{le="1"} 1 # {t="x"} 0.5 1.5\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 3\n# EOF\n',
    '{"a.b","c"="d\\n"} NaN\n',
  ].map((s) => Buffer.from(s));
  for (const dir of ['prom', 'openmetrics']) {
    const d = join(shared('conformance/exposition'), dir);
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (f.startsWith('valid-') && !f.includes('bench')) out.push(readFileSync(join(d, f)));
  }
  return out;
}

describe('parser fuzzing', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyParseErrors(Buffer.from(b))),
      { numRuns: 3000 },
    );
  });

  it('random tokens', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ALPHABET), { maxLength: 60 }), (parts) => onlyParseErrors(Buffer.from(parts.join(''), 'latin1'))),
      { numRuns: 3000 },
    );
  });

  it('mutated valid inputs', () => {
    const base = seeds();
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...ALPHABET) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.nat({ max: base.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), (i, ms) => {
        let b = Buffer.from(base[i]!);
        for (const m of ms) {
          const at = b.length === 0 ? 0 : m.at % b.length;
          if (m.kind === 'flip' && b.length > 0) b[at] = m.byte;
          else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.text, 'latin1'), b.subarray(at)]);
          else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
          else if (m.kind === 'truncate') b = b.subarray(0, at);
        }
        onlyParseErrors(b);
      }),
      { numRuns: 3000 },
    );
  });
});

// Outcome of parsing a body: every entry with what the scrape path reads, or the error.
function outcome(buf: Buffer, hints: readonly Buffer[] | undefined): string[] {
  const p = new PromParser(buf);
  const out: string[] = [];
  let n = 0;
  const f64 = new Float64Array(1);
  const bits = new Uint32Array(f64.buffer);
  try {
    for (;;) {
      if (hints !== undefined && hints.length > 0) {
        const h = hints[n % hints.length]!;
        p.expect(h, 0, h.length);
      }
      const k = p.next();
      if (k === EntryKind.EOF) break;
      if (k === EntryKind.Series) {
        n++;
        f64[0] = p.value();
        out.push(`S ${p.seriesStart()}-${p.seriesEnd()} ${bits[0]}:${bits[1]} ${p.hasTimestamp()} ${p.timestamp()} ${p.metricName()} ${p.labels().toString()}`);
      } else {
        out.push(`E ${k} ${p.entryOffset()}`);
      }
    }
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    out.push(`X ${e.message}`);
  }
  return out;
}

// seriesTexts returns the series texts of a body that parses (stopping at the first error).
function seriesTexts(buf: Buffer): Buffer[] {
  const p = new PromParser(buf);
  const out: Buffer[] = [];
  try {
    for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) if (k === EntryKind.Series) out.push(Buffer.from(buf.subarray(p.seriesStart(), p.seriesEnd())));
  } catch {
    // what parsed before the error is enough
  }
  return out;
}

describe('text parser hints (expect)', () => {
  const page = Buffer.from(
    '# HELP a x\n# TYPE a counter\na{b="c"} 1 2\na{b="d"}\t2\nfoo 3\nfoo_bar 4\n{"q.r","s"="t\\n"} 5\n{__name__="u",v="w"} 6\nx { y = "z" , } 7\n',
  );
  it('matching or not, hints never change what is parsed (property)', () => {
    const base = [page, ...seeds().filter((b) => b.length < 4096)];
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...ALPHABET, ' ', '\t', '{', '_x', 'foo ', 'foo{') }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
    );
    fc.assert(
      fc.property(fc.nat({ max: base.length - 1 }), fc.array(mutation, { maxLength: 4 }), fc.nat(), (i, ms, shift) => {
        const a = base[i]!;
        let b = Buffer.from(a);
        for (const m of ms) {
          const at = b.length === 0 ? 0 : m.at % b.length;
          if (m.kind === 'flip' && b.length > 0) b[at] = m.byte;
          else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.text, 'latin1'), b.subarray(at)]);
          else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
        }
        const texts = seriesTexts(a);
        const want = outcome(b, undefined);
        expect(outcome(b, texts)).toEqual(want);
        // Hints shifted against the series they predict (mostly wrong guesses).
        const rotated = texts.map((_, k) => texts[(k + shift) % texts.length]!);
        expect(outcome(b, rotated)).toEqual(want);
      }),
      { numRuns: 2000 },
    );
  });

  it('reports a matched hint, and labels are still built for it', () => {
    const p = new PromParser(Buffer.from('foo{a="1"} 1\nfoo{a="2"} 2\nfoo 3\nfoo {a="3"} 4\n'));
    const hint = Buffer.from('foo{a="1"}');
    p.expect(hint, 0, hint.length);
    expect(p.next()).toBe(EntryKind.Series);
    expect(p.matchedExpected()).toBe(true);
    expect(p.labels().toString()).toBe('{__name__="foo", a="1"}');
    p.expect(hint, 0, hint.length);
    p.next();
    expect(p.matchedExpected()).toBe(false);
    expect(p.labels().toString()).toBe('{__name__="foo", a="2"}');
    const bare = Buffer.from('foo');
    p.expect(bare, 0, 3);
    p.next();
    expect(p.matchedExpected()).toBe(true);
    expect(p.value()).toBe(3);
    p.expect(bare, 0, 3); // "foo {a=…}" is another series: a bare name matches only before the value
    p.next();
    expect(p.matchedExpected()).toBe(false);
    expect(p.labels().toString()).toBe('{__name__="foo", a="3"}');
  });
});
