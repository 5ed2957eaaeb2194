import { describe, expect, it } from 'vitest';
import { Labels } from '../model/index.js';
import { jitterSeedFor } from './scrape-manager.js';
import { ScrapeTarget, labelsHash, scrapeOffsetNs, targetHash } from './scrape-target.js';

// Expected values computed independently (xxhsum -H1 for the label hash, a separate FNV-1a and
// Prometheus 2.42's offset formula in Python).
const internal = Labels.fromStrings(
  '__address__', '127.0.0.1:9100',
  '__metrics_path__', '/metrics',
  '__scheme__', 'http',
  '__scrape_interval__', '15s',
  '__scrape_timeout__', '10s',
  'instance', '127.0.0.1:9100',
  'job', 'node',
);
const HASH = 0xa33875063715f854n;
const SEED = 0x1f4e8e00d8f89d38n; // jitterSeedFor('vm', no external labels)

describe('target hash', () => {
  it('hashes the label set like Prometheus Labels.Hash', () => {
    expect(labelsHash(internal)).toBe(0xfd221068975d7d88n);
    expect(labelsHash(Labels.EMPTY)).toBe(0xef46db3751d8e999n);
  });

  it('hashes the zero-padded decimal label hash and the URL', () => {
    expect(targetHash(internal, 'http://127.0.0.1:9100/metrics')).toBe(HASH);
    const t = new ScrapeTarget({ internal, labels: internal.without('__address__'), discovered: internal, params: {}, scrapePool: 'node' });
    expect(t.url).toBe('http://127.0.0.1:9100/metrics');
    expect(t.hash).toBe(HASH);
  });

  it('derives the jitter seed from the host name and external labels', () => {
    expect(jitterSeedFor('vm', Labels.EMPTY)).toBe(SEED);
    expect(jitterSeedFor('vm', Labels.fromStrings('a', 'b'))).not.toBe(SEED);
  });
});

describe('scrapeOffsetNs', () => {
  it.each([
    [SEED, 15_000, 1_700_000_000_123, 3_472_997_548],
    [0n, 15_000, 1_700_000_000_123, 11_309_490_580],
    [0n, 1_000, 1_700_000_000_000, 432_490_580],
    [SEED, 1_000, 1_700_000_000_999, 596_997_548],
    [0xffffffffffffffffn, 60_000, 0, 17_277_061_035],
  ])('seed %s interval %d ms at %d ms waits %d ns', (seed, intervalMs, nowMs, want) => {
    expect(scrapeOffsetNs(HASH, seed, intervalMs, nowMs)).toBe(want);
  });

  it('puts every start at the same phase, within one interval', () => {
    const t = new ScrapeTarget({ internal, labels: internal, discovered: internal, params: {}, scrapePool: 'node' });
    const phase = (1_700_000_000_000 + t.offsetMs(15_000, SEED, 1_700_000_000_000)) % 15_000;
    for (let now = 1_700_000_000_000; now < 1_700_000_040_000; now += 1_237) {
      const wait = t.offsetMs(15_000, SEED, now);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(15_000);
      expect(Math.abs((((now + wait) % 15_000) - phase))).toBeLessThan(1e-3);
    }
  });

  it('accepts a number seed as the same 64-bit value', () => {
    const t = new ScrapeTarget({ internal, labels: internal, discovered: internal, params: {}, scrapePool: 'node' });
    expect(t.offsetMs(1_000, 5, 1_700_000_000_000)).toBe(t.offsetMs(1_000, 5n, 1_700_000_000_000));
  });
});
