import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogStreamDecoder, type ParsedLine } from '../../logs/parse/index.js';
import { JournalExportReader, type JournalExportEntry } from './journal-export-reader.js';

interface View {
  t: number;
  ns: number;
  line: string;
  level: string;
  unit: string;
  host: string;
  identifier: string;
  container: string;
  fields: Record<string, string> | undefined;
}

function lean(input: readonly Buffer[], keepAddressFields = false): { views: View[]; cursors: string[] } {
  const r = new JournalExportReader({ keepAddressFields });
  const views: View[] = [];
  const cursors: string[] = [];
  const on = (e: JournalExportEntry): void => {
    cursors.push(e.cursor);
    views.push({ t: e.t, ns: e.ns, line: e.line, level: e.level, unit: e.unit, host: e.host, identifier: e.identifier, container: e.container, fields: e.fieldsJson === undefined ? undefined : (JSON.parse(e.fieldsJson.toString('utf8')) as Record<string, string>) });
  };
  for (const b of input) r.write(b, 42, on);
  return { views, cursors };
}

/** What logs/parse's stream decoder makes of the same bytes, address fields dropped. */
function reference(input: readonly Buffer[]): View[] {
  const d = new LogStreamDecoder({ multiline: false });
  const views: View[] = [];
  const on = (p: ParsedLine): void => {
    let fields: Record<string, string> | undefined;
    if (p.fields !== undefined) {
      fields = {};
      for (const [k, v] of Object.entries(p.fields)) if (!k.startsWith('__')) fields[k] = v;
      if (Object.keys(fields).length === 0) fields = undefined;
    }
    views.push({ t: p.t, ns: p.ns, line: p.line, level: p.level, unit: p.unit, host: p.host, identifier: p.identifier, container: p.container, fields });
  };
  for (const b of input) d.write(b, 42, on);
  d.end(42, on);
  return views;
}

const text = (name: string, value: string): Buffer => Buffer.from(`${name}=${value}\n`);
const binary = (name: string, value: Buffer): Buffer => {
  const len = Buffer.alloc(8);
  len.writeUInt32LE(value.length, 0);
  return Buffer.concat([Buffer.from(`${name}\n`), len, value, Buffer.from('\n')]);
};

describe('JournalExportReader', () => {
  it('decodes an entry: line, time, labels, level, fields as JSON bytes, cursor', () => {
    const rec = Buffer.concat([
      text('__CURSOR', 's=1;i=2'),
      text('__REALTIME_TIMESTAMP', '1795315752186811'),
      text('_SOURCE_REALTIME_TIMESTAMP', '1795315752000123'),
      text('PRIORITY', '3'),
      text('_SYSTEMD_UNIT', 'shop.service'),
      text('_HOSTNAME', 'h1'),
      text('SYSLOG_IDENTIFIER', 'shop'),
      text('MESSAGE', 'tab\there "quoted" \\ back'),
      binary('DATA', Buffer.from('two\nlines\u0001')),
      text('_PID', '7'),
      Buffer.from('\n'),
    ]);
    const { views, cursors } = lean([rec]);
    expect(cursors).toEqual(['s=1;i=2']);
    expect(views).toEqual([
      {
        t: 1795315752000, ns: 123000, line: 'tab\there "quoted" \\ back', level: 'error', unit: 'shop.service', host: 'h1', identifier: 'shop', container: '',
        fields: { _SOURCE_REALTIME_TIMESTAMP: '1795315752000123', PRIORITY: '3', DATA: 'two\nlines\u0001', _PID: '7' },
      },
    ]);
    expect(lean([rec], true).views[0]!.fields).toMatchObject({ __CURSOR: 's=1;i=2', __REALTIME_TIMESTAMP: '1795315752186811' });
  });

  it.each([
    { name: 'a repeated field', rec: [text('__CURSOR', 'c'), text('MESSAGE', 'm'), text('TAG', 'a'), text('TAG', 'b'), text('X', '1')] },
    { name: 'invalid UTF-8 in a value and in MESSAGE', rec: [text('__CURSOR', 'c'), Buffer.from('MESSAGE=bad \xff\xfe\n', 'latin1'), Buffer.from('F=x\xc3\n', 'latin1')] },
    { name: 'no fields besides MESSAGE', rec: [text('__CURSOR', 'c'), text('MESSAGE', 'only')] },
    { name: 'binary MESSAGE', rec: [text('__CURSOR', 'c'), binary('MESSAGE', Buffer.from([0x41, 0, 0x42]))] },
    { name: 'no time fields', rec: [text('__CURSOR', 'c'), text('MESSAGE', 'when?'), text('PRIORITY', '7')] },
    { name: 'a repeated label field', rec: [text('__CURSOR', 'c'), text('_SYSTEMD_UNIT', 'a.service'), text('_SYSTEMD_UNIT', 'b.service'), text('MESSAGE', 'x')] },
  ])('agrees with logs/parse on $name', ({ rec }) => {
    const input = [Buffer.concat([...rec, Buffer.from('\n')])];
    expect(lean(input).views).toEqual(reference(input));
  });

  it('agrees with logs/parse on random entries split anywhere', () => {
    const name = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,12}$/).filter((n) => !['MESSAGE'].includes(n));
    const value = fc.oneof(fc.string({ maxLength: 40 }).filter((s) => !s.includes('\n')), fc.constantFrom('6', '3', 'shop.service', ''));
    const field = fc.oneof(
      fc.tuple(name, value).map(([n, v]) => text(n, v)),
      fc.tuple(fc.constantFrom('PRIORITY', '_SYSTEMD_UNIT', '_HOSTNAME', 'SYSLOG_IDENTIFIER', 'CONTAINER_NAME'), value).map(([n, v]) => text(n, v)),
      // journald times are microseconds since the epoch (logs/parse reads other lengths by magnitude).
      fc.integer({ min: 1e15, max: 2e15 }).map((us) => text('_SOURCE_REALTIME_TIMESTAMP', String(us))),
      fc.tuple(name, fc.uint8Array({ maxLength: 30 })).map(([n, v]) => binary(n, Buffer.from(v))),
    );
    const entry = fc.tuple(fc.nat(), fc.string({ maxLength: 60 }).filter((s) => !s.includes('\n')), fc.array(field, { maxLength: 8 })).map(([i, msg, fields]) =>
      Buffer.concat([text('__CURSOR', `s=x;i=${i}`), text('__REALTIME_TIMESTAMP', String(1795315752000000 + i)), text('MESSAGE', msg), ...fields, Buffer.from('\n')]),
    );
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 4 }), (entries, cuts) => {
        const all = Buffer.concat(entries);
        const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
        const parts: Buffer[] = [];
        let a = 0;
        for (const p of points) {
          parts.push(all.subarray(a, p));
          a = p;
        }
        parts.push(all.subarray(a));
        const got = lean(parts);
        expect(got.views).toEqual(reference([all]));
        expect(got.cursors).toHaveLength(entries.length);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on random bytes and counts what it cannot read', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 5 }), (chunks) => {
        const r = new JournalExportReader();
        for (const c of chunks) r.write(Buffer.from(c), 0, () => undefined);
        expect(r.malformed).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
