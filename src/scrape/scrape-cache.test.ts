import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Labels } from '../model/index.js';
import type { SeriesRef } from '../storage/index.js';
import { NO_ENTRY, ScrapeCache } from './index.js';

const ref = (n: number): SeriesRef => n as SeriesRef;
const b = (s: string): Buffer => Buffer.from(s);

describe('ScrapeCache', () => {
  it('finds entries by the bytes of the series text, wherever they sit in the body', () => {
    const c = new ScrapeCache();
    const body = b('xx a{b="1"} yy');
    c.add(body, 3, 11, ref(7), Labels.fromStrings('__name__', 'a', 'b', '1'));
    const other = b('a{b="1"}');
    expect(c.ref(c.get(other, 0, other.length))).toBe(7);
    expect(c.get(b('a{b="2"}'), 0, 8)).toBe(NO_ENTRY);
    expect(c.get(b('a{b="1"'), 0, 7)).toBe(NO_ENTRY);
  });

  it('grows and keeps every entry reachable', () => {
    const c = new ScrapeCache();
    for (let i = 0; i < 5000; i++) c.add(b(`m${i}`), 0, `m${i}`.length, ref(i + 1), Labels.fromStrings('__name__', `m${i}`));
    for (let i = 0; i < 5000; i++) expect(c.ref(c.get(b(`m${i}`), 0, `m${i}`.length))).toBe(i + 1);
    expect(c.size).toBe(5000);
  });

  it('flushes entries not seen in a successful scrape, keeps them after a failed one', () => {
    const c = new ScrapeCache();
    c.add(b('a'), 0, 1, ref(1), Labels.fromStrings('__name__', 'a'));
    c.add(b('b'), 0, 1, ref(2), Labels.fromStrings('__name__', 'b'));
    c.iterDone(true);
    c.note(c.get(b('a'), 0, 1));
    c.iterDone(false);
    expect(c.size).toBe(2);
    c.note(c.get(b('a'), 0, 1));
    c.iterDone(true);
    expect(c.size).toBe(1);
    expect(c.get(b('b'), 0, 1)).toBe(NO_ENTRY);
    expect(c.ref(c.get(b('a'), 0, 1))).toBe(1);
  });

  it('never answers with an evicted entry, even where its old key bytes now hold another key', () => {
    const c = new ScrapeCache();
    c.beginScrape();
    c.note(c.add(b('ab'), 0, 2, ref(1), Labels.fromStrings('__name__', 'ab')));
    c.iterDone(true); // the order [ab] is remembered
    // Failing scrapes fill the cache until a forced flush evicts "ab"; "cdef" is kept and its
    // bytes move to the start of the compacted key arena, where "ab" used to be.
    c.beginScrape();
    c.add(b('cdef'), 0, 4, ref(5), Labels.fromStrings('__name__', 'cdef'));
    for (let i = 0; i < 1001; i++) c.add(b(`f${i}`), 0, `f${i}`.length, ref(i + 10), Labels.fromStrings('__name__', `f${i}`));
    c.iterDone(false);
    c.beginScrape();
    c.note(c.get(b('cdef'), 0, 4));
    for (let i = 0; i < 1001; i++) c.note(c.get(b(`f${i}`), 0, `f${i}`.length));
    c.note(c.add(b('g'), 0, 1, ref(4), Labels.fromStrings('__name__', 'g')));
    c.iterDone(false);
    expect(c.forcedFlushes).toBeGreaterThan(0);
    c.beginScrape();
    expect(c.lookup(b('ab'), 0, 2)).toBe(NO_ENTRY);
    expect(c.lookup(b('cd'), 0, 2)).toBe(NO_ENTRY);
    expect(c.labels(c.lookup(b('cdef'), 0, 4))?.metricName()).toBe('cdef');
    expect(c.labels(c.expected())?.metricName()).toBe('cdef');
  });

  it('forces a flush when failing scrapes make it grow past twice the last success plus 1000', () => {
    const c = new ScrapeCache();
    c.iterDone(true);
    for (let i = 0; i < 1001; i++) c.add(b(`s${i}`), 0, `s${i}`.length, ref(i + 1), Labels.fromStrings('__name__', `s${i}`));
    c.iterDone(false);
    expect(c.forcedFlushes).toBe(1);
  });

  // Model check: for any sequence of scrapes (each a set of series, succeeding or failing), the
  // stale series reported are exactly those appended in the previous completed scrape and not
  // in this one, as with Prometheus's two hash maps.
  it('reports stale series like the two-map model', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const scrape = fc.record({ series: fc.subarray(names), ok: fc.boolean() });
    fc.assert(
      fc.property(fc.array(scrape, { minLength: 1, maxLength: 25 }), (scrapes) => {
        const c = new ScrapeCache();
        let prev = new Set<string>();
        let cur = new Set<string>();
        let next = 1;
        for (const s of scrapes) {
          for (const n of s.series) {
            const key = b(n);
            let e = c.get(key, 0, key.length);
            if (e === NO_ENTRY) e = c.add(key, 0, key.length, ref(next++), Labels.fromStrings('__name__', n));
            c.trackStaleness(e);
            cur.add(n);
          }
          if (!s.ok) continue; // a failed append neither reports staleness nor ends the iteration here
          const stale: string[] = [];
          c.forEachStale((l) => {
            stale.push(l.get('__name__'));
            return true;
          });
          const want = [...prev].filter((n) => !cur.has(n));
          expect(stale.sort()).toEqual(want.sort());
          c.iterDone(s.series.length > 0);
          prev = cur;
          cur = new Set();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('does not report a series as stale while it is exposed under another text', () => {
    const c = new ScrapeCache();
    const l = Labels.fromStrings('__name__', 'a', 'x', '1', 'y', '2');
    const e1 = c.add(b('a{x="1",y="2"}'), 0, 14, ref(1), l);
    c.trackStaleness(e1);
    c.iterDone(true);
    const e2 = c.add(b('a{y="2",x="1"}'), 0, 14, ref(1), l);
    c.trackStaleness(e2);
    const stale: Labels[] = [];
    c.forEachStale((x) => (stale.push(x), true));
    expect(stale).toEqual([]);
  });

  it('predicts each series from the one that followed its predecessor in the last scrape', () => {
    const c = new ScrapeCache();
    const ids = ['a', 'b', 'c', 'd'].map((n, i) => c.add(b(n), 0, 1, ref(i + 1), Labels.fromStrings('__name__', n)));
    c.beginScrape();
    expect(c.expected()).toBe(NO_ENTRY);
    for (const id of ids) c.note(id);
    c.iterDone(true);
    // Next scrape: "c" disappeared, "x" is new; predictions follow the last order and resync.
    c.beginScrape();
    expect(c.expected()).toBe(ids[0]);
    c.note(ids[0]!);
    expect(c.expected()).toBe(ids[1]);
    c.note(ids[1]!);
    expect(c.expected()).toBe(ids[2]);
    const x = c.add(b('x'), 0, 1, ref(9), Labels.fromStrings('__name__', 'x'));
    c.note(x);
    expect(c.expected()).toBe(NO_ENTRY);
    c.note(ids[3]!);
    c.iterDone(true); // evicts "c", renumbering the rest
    c.beginScrape();
    const order: string[] = [];
    for (let e = c.expected(); e !== NO_ENTRY; e = c.expected()) {
      order.push(c.labels(e)!.metricName());
      c.note(e);
    }
    expect(order).toEqual(['a', 'b', 'x', 'd']);
    expect(c.keyArena().toString('latin1', c.keyOffset(c.get(b('x'), 0, 1)), c.keyOffset(c.get(b('x'), 0, 1)) + 1)).toBe('x');
  });

  it('keeps metadata for ten iterations after it was last seen', () => {
    const c = new ScrapeCache();
    c.setType('m', 'counter');
    c.setHelp('m', 'Help.');
    c.setUnit('m', 'seconds');
    expect(c.metadata('m')).toEqual({ metric: 'm', type: 'counter', help: 'Help.', unit: 'seconds' });
    expect(c.metadataBytes).toBe('counter'.length + 'Help.'.length + 'seconds'.length);
    for (let i = 0; i < 11; i++) c.iterDone(true);
    expect(c.metadata('m')).toBeDefined();
    c.iterDone(true);
    expect(c.metadata('m')).toBeUndefined();
  });
});
