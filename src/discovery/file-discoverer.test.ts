import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileDiscoverer, TargetGroupFileError, parseTargetGroupFile } from './index.js';
import type { TargetGroup } from './index.js';

function plain(groups: readonly TargetGroup[]): { source: string; targets: string[]; labels: Record<string, string> }[] {
  return groups.map((g) => ({ source: g.source, targets: g.targets.map((t) => t.get('__address__')), labels: g.labels.toObject() }));
}

describe('parseTargetGroupFile', () => {
  it.each([
    ['t.json', '[{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}, {"targets": ["c:3"]}]'],
    ['t.yml', '- targets: [a:1, b:2]\n  labels:\n    env: prod\n- targets: [c:3]\n'],
    ['t.YAML', '- targets: [a:1, b:2]\n  labels: {env: prod}\n- targets: [c:3]\n'],
  ])('%s', (name, text) => {
    expect(plain(parseTargetGroupFile(text, `/sd/${name}`))).toEqual([
      { source: `/sd/${name}:0`, targets: ['a:1', 'b:2'], labels: { env: 'prod', __meta_filepath: `/sd/${name}` } },
      { source: `/sd/${name}:1`, targets: ['c:3'], labels: { __meta_filepath: `/sd/${name}` } },
    ]);
  });

  it.each([
    ['t.json', '{"targets": []}', /cannot unmarshal object/],
    ['t.json', '[null]', /nil target group item found \(index 0\)/],
    ['t.json', '[{"targets": ["a"], "labels": {"bad-name": "x"}}]', /"bad-name" is not a valid label name/],
    ['t.json', '[{"targets": [1]}]', /cannot unmarshal number/],
    ['t.json', '[{"targets": ["a"]', /JSON/],
    ['t.yml', '- targets: [a]\n  label: {x: y}\n', /field label not found/],
    ['t.yml', '- targets: [a]\n  labels: {bad-name: y}\n', /t.yml:2: "bad-name" is not a valid label name/],
    ['t.txt', '[]', /invalid file extension/],
  ])('%s rejects %s', (name, text, msg) => {
    expect(() => parseTargetGroupFile(text, name)).toThrow(TargetGroupFileError);
    expect(() => parseTargetGroupFile(text, name)).toThrow(msg);
  });

  it('never throws anything but TargetGroupFileError', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('a.json', 'a.yml'), (text, name) => {
        try {
          parseTargetGroupFile(text, name);
        } catch (e) {
          expect(e).toBeInstanceOf(TargetGroupFileError);
        }
      }),
    );
  });
});

describe('FileDiscoverer', () => {
  it('yields all groups, then changes, keeps the last good groups of a broken file and removes deleted ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-filesd-'));
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.yml');
    writeFileSync(a, '[{"targets": ["a:1"]}, {"targets": ["a:2"]}]');
    writeFileSync(b, '- targets: [b:1]\n');
    const errors: Error[] = [];
    const d = new FileDiscoverer({ config: { kind: 'file', files: [join(dir, '*.json'), b], refreshIntervalMs: 60_000 }, onError: (e) => errors.push(e), settleMs: 20 });
    const ac = new AbortController();
    const it = d.run(ac.signal)[Symbol.asyncIterator]();
    try {
      const first = await it.next();
      expect(plain(first.value as TargetGroup[]).map((g) => [g.source, g.targets])).toEqual([
        [`${a}:0`, ['a:1']],
        [`${a}:1`, ['a:2']],
        [`${b}:0`, ['b:1']],
      ]);
      writeFileSync(a, '[{"targets": ["a:9"]}]');
      const second = plain((await it.next()).value as TargetGroup[]);
      expect(second.filter((g) => g.source.startsWith(a)).map((g) => [g.source, g.targets])).toEqual([
        [`${a}:0`, ['a:9']],
        [`${a}:1`, []],
      ]);
      writeFileSync(b, '- targets: [broken');
      // The broken file is reported and yields nothing new for b.
      const third = plain((await it.next()).value as TargetGroup[]);
      expect(third.some((g) => g.source.startsWith(b))).toBe(false);
      expect(errors.some((e) => e.message.includes('b.yml'))).toBe(true);
      rmSync(a);
      const fourth = plain((await it.next()).value as TargetGroup[]);
      expect(fourth).toContainEqual({ source: `${a}:0`, targets: [], labels: {} });
    } finally {
      ac.abort();
      expect((await it.next()).done).toBe(true);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('polls every refresh interval without watch events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-filesd-'));
    const a = join(dir, 'late.json');
    const d = new FileDiscoverer({ config: { kind: 'file', files: [join(dir, 'sub', 'late.json')], refreshIntervalMs: 30 } });
    const ac = new AbortController();
    const it = d.run(ac.signal)[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual([]);
    writeFileSync(a, '[]');
    ac.abort();
    expect((await it.next()).done).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
