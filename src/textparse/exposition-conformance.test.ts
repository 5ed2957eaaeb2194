// Conformance: every case of the shared exposition suite and of the OpenMetrics project's parser
// tests is accepted or rejected as it says, and every real exposition in the corpus parses.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EntryKind, OpenMetricsParser, ParseError, PromParser, type Parser, validateOpenMetrics } from './index.js';
import { shared } from '../../test/support/shared.js';

const SHARED = shared();
const CONFORMANCE = join(SHARED, 'conformance/exposition');
const CORPUS = join(SHARED, 'corpus/metrics/exposition');
const OM_SUITE = join(CORPUS, 'openmetrics-parsers');

function drain(p: Parser): number {
  let n = 0;
  for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
    if (k === EntryKind.Series) {
      p.labels();
      p.exemplar();
      n++;
    }
  }
  return n;
}

function outcome(f: () => void): Error | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

const present = existsSync(CONFORMANCE) && existsSync(OM_SUITE);

describe.skipIf(!present)('exposition conformance', () => {
  const cases = ['prom', 'openmetrics'].flatMap((dir) =>
    readdirSync(join(CONFORMANCE, dir))
      .sort()
      .map((file) => ({ dir, file, valid: file.startsWith('valid-') })),
  );
  it('has the suite', () => expect(cases.length).toBe(120));
  it.each(cases)('$dir/$file', ({ dir, file, valid }) => {
    const body = readFileSync(join(CONFORMANCE, dir, file));
    const err = outcome(() => drain(dir === 'prom' ? new PromParser(body) : new OpenMetricsParser(body)));
    if (valid) expect(err).toBeUndefined();
    else expect(err).toBeInstanceOf(ParseError);
  });
});

describe.skipIf(!present)('OpenMetrics parser test suite (strict validation)', () => {
  const cases = readdirSync(OM_SUITE)
    .filter((d) => existsSync(join(OM_SUITE, d, 'test.json')))
    .sort()
    .map((d) => {
      const t = JSON.parse(readFileSync(join(OM_SUITE, d, 'test.json'), 'utf8')) as { file: string; shouldParse: boolean };
      return { name: d, file: join(OM_SUITE, d, t.file), shouldParse: t.shouldParse };
    });
  it('has the suite', () => expect(cases.length).toBeGreaterThan(100));
  it.each(cases)('$name', ({ file, shouldParse }) => {
    const err = outcome(() => validateOpenMetrics(readFileSync(file)));
    if (shouldParse) expect(err).toBeUndefined();
    else expect(err).toBeInstanceOf(ParseError);
  });
  it.each(cases.filter((c) => c.shouldParse))('lenient parser accepts $name', ({ file }) => {
    expect(outcome(() => drain(new OpenMetricsParser(readFileSync(file))))).toBeUndefined();
  });
});

// Every other file of the corpus is a real exposition (OpenMetrics when it ends with "# EOF"),
// except promtool's series dumps, which are JSON lines.
function corpusFiles(): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  for (const dir of readdirSync(CORPUS)) {
    if (dir === 'openmetrics-parsers' || !statSync(join(CORPUS, dir)).isDirectory()) continue;
    for (const f of readdirSync(join(CORPUS, dir))) {
      if (f === 'NOTICE.md') continue;
      out.push({ name: `${dir}/${f}`, path: join(CORPUS, dir, f) });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

describe.skipIf(!present)('corpus expositions', () => {
  const files = corpusFiles();
  it.each(files)('$name', ({ path }) => {
    const body = readFileSync(path);
    const text = body.toString('utf8');
    if (text.startsWith('{"')) {
      expect(() => drain(new PromParser(body))).toThrow(ParseError); // JSON lines, not exposition
      return;
    }
    const om = text.trimEnd().endsWith('# EOF');
    const n = drain(om ? new OpenMetricsParser(body) : new PromParser(body));
    expect(n).toBeGreaterThan(0);
  });
});
