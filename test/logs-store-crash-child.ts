// Child process of test/logs-store-crash.test.ts: opens a disk log store (replaying its WAL),
// then appends numbered batches forever, printing "ack <n>" once each append has resolved
// (that is, once the store promised durability). The parent kills it with SIGKILL.
import { DiskLogStore } from '../src/logs/store/index.js';
import { Labels } from '../src/model/index.js';

const [dir, startText] = process.argv.slice(2) as [string, string];
const store = await DiskLogStore.open({
  dir,
  // Small sizes so blocks seal, chunks are cut and WAL segments roll over during the test.
  blockBytes: 2048,
  chunkBytes: 8192,
  walSegmentBytes: 64 * 1024,
  maintenanceIntervalMs: 50,
  chunkIdleMs: 100,
  onCorruption: (e) => process.stderr.write(`corruption: ${e.message}\n`),
});
process.stdout.write('ready\n');
const base = 1_700_000_000_000;
for (let k = Number(startText); ; k++) {
  const labels = Labels.fromStrings('app', `app${k % 3}`, 'stream', String(k % 7));
  const entries = Array.from({ length: 50 }, (_, i) => ({ t: base + k * 100 + i, ns: i, line: `batch=${k} line=${i} ${'x'.repeat(k % 40)}` }));
  await store.append(labels, entries);
  process.stdout.write(`ack ${k}\n`);
  if (k % 10 === 0) await new Promise((r) => setImmediate(r));
}
