// Relabeling throughput: label sets per second through typical metric_relabel_configs (what a
// scrape runs on every new series) and through the kubernetes-pods target relabeling plus
// populateLabels (what discovery runs per target).
//   npx tsx bench/relabel.bench.ts
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig } from '../src/config/index.js';
import { Labels } from '../src/model/index.js';
import { newRelabelConfig, populateLabels, relabel } from '../src/relabel/index.js';

function time(name: string, n: number, fn: (i: number) => unknown): void {
  for (let i = 0; i < Math.min(n, 2000); i++) fn(i); // warm up
  const t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < n; i++) sink += fn(i) === undefined ? 0 : 1;
  const ms = performance.now() - t0;
  console.log(`${name.padEnd(52)} ${((n / ms) * 1000).toFixed(0).padStart(10)} label sets/s  (${((ms * 1e6) / n).toFixed(0)} ns each, kept ${sink})`);
}

// Series like a node_exporter page: 12 metric names x 200 label combinations.
const names = ['node_cpu_seconds_total', 'node_memory_MemFree_bytes', 'go_gc_duration_seconds', 'node_network_receive_bytes_total', 'node_filesystem_avail_bytes', 'process_cpu_seconds_total', 'node_disk_io_time_seconds_total', 'go_goroutines', 'node_load1', 'node_netstat_Tcp_InSegs', 'node_vmstat_pgfault', 'node_timex_offset_seconds'];
const series: Labels[] = [];
for (let i = 0; i < 2400; i++) {
  series.push(Labels.fromObject({ __name__: names[i % names.length]!, instance: `10.0.${i % 7}.${i % 200}:9100`, job: 'node', cpu: String(i % 16), mode: ['idle', 'user', 'system'][i % 3]!, device: `eth${i % 4}` }));
}
const metricRelabel = [
  newRelabelConfig({ source_labels: ['__name__'], regex: 'go_.*|process_.*', action: 'drop' }),
  newRelabelConfig({ source_labels: ['__name__'], regex: 'node_(netstat|vmstat)_.*', action: 'drop' }),
  newRelabelConfig({ regex: 'device', action: 'labeldrop' }),
  newRelabelConfig({ source_labels: ['instance'], regex: '([^:]+):\\d+', target_label: 'host', replacement: '$1' }),
];
time('metric_relabel: drop x2, labeldrop, replace', 500_000, (i) => relabel(series[i % series.length]!, metricRelabel));
time('metric_relabel: keep on literal alternation', 1_000_000, (i) => relabel(series[i % series.length]!, [metricRelabel[0]!]));

const cfgPath = resolve(import.meta.dirname, '../src/config/testdata/equivalence/prometheus.yml');
const job = parseConfig(readFileSync(cfgPath, 'utf8'), cfgPath).scrapeConfigs[0]!;
const pods: Labels[] = [];
for (let i = 0; i < 10_000; i++) {
  pods.push(Labels.fromObject({
    __address__: `10.${(i >> 8) & 255}.${i & 255}.1:8080`,
    __meta_kubernetes_namespace: `ns-${i % 50}`,
    __meta_kubernetes_pod_name: `pod-${i}`,
    __meta_kubernetes_pod_phase: i % 10 === 0 ? 'Succeeded' : 'Running',
    __meta_kubernetes_pod_annotation_prometheus_io_scrape: i % 3 === 0 ? 'false' : 'true',
    __meta_kubernetes_pod_annotation_prometheus_io_port: '9102',
    __meta_kubernetes_pod_label_app: `app-${i % 100}`,
    __meta_kubernetes_pod_label_app_kubernetes_io_name: `app-${i % 100}`,
    __meta_kubernetes_pod_label_pod_template_hash: String(i * 7919),
    __meta_kubernetes_pod_container_name: 'main',
  }));
}
time('kubernetes-pods relabel + populateLabels', 200_000, (i) => populateLabels(pods[i % pods.length]!, job, job.relabelConfigs).labels);
