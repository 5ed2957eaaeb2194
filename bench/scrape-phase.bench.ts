// Cost of Prometheus 2.42's scrape phase per target: the XXH64 label hash, the FNV-1a 64 target
// hash and the offset, all in BigInt arithmetic (done once when a target's loop starts).
//   npx tsx bench/scrape-phase.bench.ts
import { Labels } from '../src/model/index.js';
import { fnv64a, labelsHash, scrapeOffsetNs, targetHash, xxhash64 } from '../src/scrape/index.js';

function time(name: string, n: number, fn: (i: number) => unknown): void {
  for (let i = 0; i < Math.min(n, 2000); i++) fn(i); // warm up
  const t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < n; i++) sink += fn(i) === undefined ? 0 : 1;
  const ms = performance.now() - t0;
  console.log(`${name.padEnd(44)} ${((n / ms) * 1000).toFixed(0).padStart(9)} /s  (${((ms * 1000) / n).toFixed(2)} µs each, ${sink} done)`);
}

const targets: Labels[] = [];
for (let i = 0; i < 1000; i++) {
  const addr = `10.0.${i % 250}.${i % 200}:9100`;
  targets.push(Labels.fromObject({
    __address__: addr, __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '15s', __scrape_timeout__: '10s',
    instance: addr, job: 'kubernetes-pods', namespace: 'default', pod: `web-7d9f8c6b5-${i}`, container: 'app',
  }));
}
const bytes = Buffer.alloc(256, 'x');
const N = 20_000;
time('xxhash64, 256 bytes', N, () => xxhash64(bytes));
time('fnv64a, 48 bytes', N, () => fnv64a('0018240159482206059912http://10.0.1.2:9100/metrics'));
time('labelsHash, 10-label target', N, (i) => labelsHash(targets[i % 1000]!));
time('targetHash (labels + URL)', N, (i) => targetHash(targets[i % 1000]!, 'http://10.0.1.2:9100/metrics'));
time('scrapeOffsetNs', N, (i) => scrapeOffsetNs(0xa33875063715f854n, BigInt(i), 15_000, 1_700_000_000_123 + i));
