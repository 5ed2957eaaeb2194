import { describe, expect, it } from 'vitest';
import { Registry, registerProcessMetrics } from './index.js';

describe('Registry', () => {
  it('renders counters, labelled gauges and histograms', () => {
    const r = new Registry();
    r.counter({ name: 'a_total', help: 'A.' }).labels().inc(2);
    r.gauge({ name: 'b', help: 'B "quoted"\nline.', labelNames: ['x'] }).labels('v"1').set(1.5);
    const h = r.histogram({ name: 'c_seconds', help: 'C.', buckets: [0.1, 1] }).labels();
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    expect(r.expose()).toBe(
      [
        '# HELP a_total A.',
        '# TYPE a_total counter',
        'a_total 2',
        '# HELP b B "quoted"\\nline.',
        '# TYPE b gauge',
        'b{x="v\\"1"} 1.5',
        '# HELP c_seconds C.',
        '# TYPE c_seconds histogram',
        'c_seconds_bucket{le="0.1"} 1',
        'c_seconds_bucket{le="1"} 2',
        'c_seconds_bucket{le="+Inf"} 3',
        'c_seconds_sum 5.55',
        'c_seconds_count 3',
        '',
      ].join('\n'),
    );
  });
  it('rejects bad names and double registration', () => {
    const r = new Registry();
    expect(() => r.counter({ name: '1x', help: '' })).toThrow(/invalid metric name/);
    r.gauge({ name: 'g', help: '' });
    expect(() => r.gauge({ name: 'g', help: '' })).toThrow(/twice/);
  });
  it('reads process metrics from /proc', () => {
    const r = new Registry();
    registerProcessMetrics(r);
    const text = r.expose();
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes [1-9]\d*/m);
    expect(text).toMatch(/^nodejs_heap_space_size_total_bytes\{space="new"\} [1-9]\d*/m);
    expect(text).toMatch(/^nodejs_heap_space_size_used_bytes\{space="old"\} [1-9]\d*/m);
  });
  it('writes summary families from collectors', () => {
    const r = new Registry();
    r.collect((w) => {
      w.family('d_seconds', 'summary', 'D.');
      w.sample('d_seconds', [['quantile', '0.5']], 1);
      w.sample('d_seconds_sum', [], 2);
      w.sample('d_seconds_count', [], 3);
    });
    expect(r.expose()).toBe('# HELP d_seconds D.\n# TYPE d_seconds summary\nd_seconds{quantile="0.5"} 1\nd_seconds_sum 2\nd_seconds_count 3\n');
  });
});
