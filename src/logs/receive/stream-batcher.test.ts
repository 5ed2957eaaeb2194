import { describe, expect, it } from 'vitest';
import { Labels } from '../../model/index.js';
import { LogFormat, ParsedLine } from '../parse/index.js';
import type { LogEntry, LogStore } from '../store/index.js';
import { ReceiveMetrics } from './receive-metrics.js';
import { StreamBatcher } from './stream-batcher.js';

type Line = { line: string; level?: string; host?: string; unit?: string; stream?: string };

function batcher(): { b: StreamBatcher; appends: [string, string[]][] } {
  const appends: [string, string[]][] = [];
  const store = {
    async append(l: Labels, e: readonly LogEntry[]): Promise<void> {
      appends.push([l.toString(), e.map((x) => x.line)]);
    },
  } as unknown as LogStore;
  return { b: new StreamBatcher({ store, labels: Labels.fromStrings('app', 'a'), metrics: new ReceiveMetrics(undefined, 'test') }), appends };
}

function add(b: StreamBatcher, lines: readonly Line[]): void {
  const p = new ParsedLine();
  for (const l of lines) {
    p.reset(1);
    p.format = LogFormat.Text;
    p.line = l.line;
    p.level = (l.level ?? '') as ParsedLine['level'];
    p.host = l.host ?? '';
    p.unit = l.unit ?? '';
    p.stream = l.stream ?? '';
    b.add(p);
  }
}

describe('StreamBatcher', () => {
  it.each([
    ['one stream', [{ line: 'a' }, { line: 'b' }], [['{app="a"}', ['a', 'b']]]],
    [
      'alternating streams',
      [{ line: 'a', host: 'h1' }, { line: 'b', host: 'h2' }, { line: 'c', host: 'h1' }, { line: 'd', host: 'h2', unit: 'u' }],
      [['{app="a", host="h1"}', ['a', 'c']], ['{app="a", host="h2"}', ['b']], ['{app="a", host="h2", unit="u"}', ['d']]],
    ],
    [
      'level and stream split streams',
      [{ line: 'a', level: 'info' }, { line: 'b', level: 'error' }, { line: 'c', level: 'info', stream: 'stderr' }, { line: 'd', level: 'info' }],
      [['{app="a", level="info"}', ['a', 'd']], ['{app="a", level="error"}', ['b']], ['{app="a", level="info", stream="stderr"}', ['c']]],
    ],
  ] as const)('groups %s', async (_n, lines, want) => {
    const { b, appends } = batcher();
    add(b, lines);
    expect(b.size).toBe(lines.length);
    await b.flush();
    expect(appends).toEqual(want);
    expect(b.size).toBe(0);
  });

  it('starts over after a flush', async () => {
    const { b, appends } = batcher();
    add(b, [{ line: 'a', host: 'h' }]);
    await b.flush();
    add(b, [{ line: 'b', host: 'h' }, { line: 'c' }]);
    await b.flush();
    expect(appends).toEqual([['{app="a", host="h"}', ['a']], ['{app="a", host="h"}', ['b']], ['{app="a"}', ['c']]]);
  });
});
