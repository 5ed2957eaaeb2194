import { describe, expect, it } from 'vitest';
import { MetricBatch, MetricBatchError, MetricType, renderText, sortedSampleOrder } from './index.js';

describe('MetricBatch', () => {
  it('renders families sorted by name, label names sorted, samples by label values, escaped, Go floats', () => {
    const b = new MetricBatch();
    const z = b.family('zz_total', MetricType.counter, 'Back\\slash and\nnewline.', ['mode', 'cpu']);
    b.add(z, 1e21, ['user', '10']);
    b.add(z, 0.1, ['user', '2']);
    b.add(z, -0, ['idle', '2']);
    b.add(z, 7, ['user', '2']); // duplicate: the first stays
    const a = b.family('aa', MetricType.gauge, 'A gauge.', ['v']);
    b.add(a, NaN, ['quote " back \\ nl \n']);
    b.single('mm', MetricType.untyped, 'Untyped.', Infinity);
    b.family('empty', MetricType.gauge, 'Never written.', ['x']);
    expect(renderText(b)).toBe(
      [
        '# HELP aa A gauge.',
        '# TYPE aa gauge',
        'aa{v="quote \\" back \\\\ nl \\n"} NaN',
        '# HELP mm Untyped.',
        '# TYPE mm untyped',
        'mm +Inf',
        '# HELP zz_total Back\\\\slash and\\nnewline.',
        '# TYPE zz_total counter',
        'zz_total{cpu="10",mode="user"} 1e+21',
        'zz_total{cpu="2",mode="idle"} -0',
        'zz_total{cpu="2",mode="user"} 0.1',
        '',
      ].join('\n'),
    );
    expect(b.samples).toBe(6);
  });

  it('joins a family declared twice and refuses a different shape', () => {
    const b = new MetricBatch();
    const h1 = b.family('x', MetricType.gauge, 'x', ['a']);
    expect(b.family('x', MetricType.gauge, 'other help', ['a'])).toBe(h1);
    expect(() => b.family('x', MetricType.counter, 'x', ['a'])).toThrow(MetricBatchError);
    expect(() => b.family('x', MetricType.gauge, 'x', ['b'])).toThrow(/different type or labels/);
    expect(() => b.family('bad-name', MetricType.gauge, 'x')).toThrow(/invalid metric name/);
    expect(() => b.family('y', MetricType.gauge, 'x', ['__reserved'])).toThrow(/invalid label name/);
    expect(() => b.family('y', MetricType.gauge, 'x', ['a', 'a'])).toThrow(/duplicate label name/);
    expect(() => b.add(h1, 1, [])).toThrow(/expected 1 label values, got 0/);
  });

  it('merges batches and orders samples without duplicates', () => {
    const a = new MetricBatch();
    const b = new MetricBatch();
    a.add(a.family('m', MetricType.gauge, 'h', ['k']), 1, ['b']);
    b.add(b.family('m', MetricType.gauge, 'h', ['k']), 2, ['a']);
    b.add(b.family('m', MetricType.gauge, 'h', ['k']), 3, ['b']);
    a.merge(b);
    const f = a.families()[0]!;
    expect(sortedSampleOrder(f).map((i) => [f.labelValue(i, 0), f.value(i)])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(a.samples).toBe(3);
  });
});
