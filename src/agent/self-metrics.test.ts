import { describe, expect, it } from 'vitest';
import { Registry } from '../instrument/index.js';
import { addExposition } from './agent.js';
import { MetricBatch, MetricType, renderText } from './host/index.js';
import { addRegistry } from './self-metrics.js';

function registry(): Registry {
  const r = new Registry();
  r.counter({ name: 'vigil_agent_collections_total', help: 'Collection cycles run.' }).labels().inc(3);
  const lines = r.counter({ name: 'vigil_agent_ship_entries_total', help: 'Entries "shipped"\nand acked.', labelNames: ['source', 'app'] });
  lines.labels('journal', 'web').inc(12.5);
  lines.labels('file', 'batch').inc(7);
  r.gauge({ name: 'vigil_agent_queue_bytes', help: 'Queue size.' }).labels().set(-0);
  r.gauge({ name: 'vigil_agent_nan', help: 'Odd values.', labelNames: ['k'] }).labels('inf').set(Infinity);
  const h = r.histogram({ name: 'vigil_agent_send_seconds', help: 'Send latency.', labelNames: ['endpoint'], buckets: [0.005, 0.1, 2.5] });
  h.labels('logs').observe(0.05);
  h.labels('logs').observe(3);
  r.collect((w) => {
    w.family('process_cpu_seconds_total', 'counter', 'CPU time.');
    w.sample('process_cpu_seconds_total', [], 1.25);
    w.family('vigil_summary', 'summary', 'A summary.');
    w.sample('vigil_summary', [['quantile', '0.5']], 0.1);
    w.sample('vigil_summary_sum', [], 4);
    w.sample('vigil_summary_count', [], 2);
  });
  return r;
}

describe('addRegistry', () => {
  it('adds the same series, types and help as the text exposition parsed again', () => {
    const direct = new MetricBatch();
    const viaText = new MetricBatch();
    for (const b of [direct, viaText]) b.add(b.family('vigil_agent_queue_bytes', MetricType.counter, 'collected'), 1, []);
    addRegistry(direct, registry());
    addExposition(viaText, registry().expose());
    const text = renderText(direct);
    expect(text).toBe(renderText(viaText));
    // The clash kept the collected family; the histogram went as untyped series with its help.
    expect(text).toContain('# TYPE vigil_agent_queue_bytes counter\nvigil_agent_queue_bytes 1\n');
    expect(text).toContain('# HELP vigil_agent_send_seconds_bucket Send latency.\n# TYPE vigil_agent_send_seconds_bucket untyped\n');
    expect(text).toContain('vigil_agent_ship_entries_total{app="batch",source="file"} 7\n');
    expect(direct.samples).toBe(viaText.samples);
  });

  it('keeps a sample with an empty label value (the text path lost it)', () => {
    const r = new Registry();
    const c = r.counter({ name: 'vigil_x_total', help: 'x', labelNames: ['source', 'app'] });
    c.labels('journal', 'web').inc(1);
    c.labels('file', '').inc(2);
    const b = new MetricBatch();
    addRegistry(b, r);
    expect(b.samples).toBe(2);
    expect(renderText(b)).toContain('vigil_x_total{app="",source="file"} 2\n');
    const viaText = new MetricBatch();
    addExposition(viaText, r.expose());
    expect(viaText.samples).toBe(1);
  });
});
