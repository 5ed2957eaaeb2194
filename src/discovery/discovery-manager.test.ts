import { describe, expect, it } from 'vitest';
import { Labels } from '../model/index.js';
import { DiscoveryManager, StaticDiscoverer } from './index.js';
import type { Discoverer, SDConfig, TargetGroup } from './index.js';

const group = (source: string, ...addrs: string[]): TargetGroup => ({ source, targets: addrs.map((a) => Labels.fromObject({ __address__: a })), labels: Labels.EMPTY });

// A provider driven by the test: push() delivers an update.
class Scripted implements Discoverer {
  #push: ((g: readonly TargetGroup[]) => void) | undefined;
  readonly #queue: (readonly TargetGroup[])[] = [];
  push(groups: readonly TargetGroup[]): void {
    if (this.#push) this.#push(groups);
    else this.#queue.push(groups);
  }
  async *run(signal: AbortSignal): AsyncIterable<readonly TargetGroup[]> {
    while (!signal.aborted) {
      const next = this.#queue.shift() ?? (await new Promise<readonly TargetGroup[] | undefined>((res) => {
        this.#push = (g) => ((this.#push = undefined), res(g));
        signal.addEventListener('abort', () => res(undefined), { once: true });
      }));
      if (next === undefined) return;
      yield next;
    }
  }
}

const addrs = (m: ReadonlyMap<string, readonly TargetGroup[]>, job: string): string[] => (m.get(job) ?? []).flatMap((g) => g.targets.map((t) => t.get('__address__'))).sort();

describe('DiscoveryManager', () => {
  it('merges providers per job, lists jobs without targets, and throttles updates', async () => {
    const scripted = new Scripted();
    const staticCfg: SDConfig = { kind: 'static', groups: [group('0', 's:1'), group('1', 's:2')] };
    const fileCfg: SDConfig = { kind: 'file', files: ['/x.json'], refreshIntervalMs: 1000 };
    scripted.push([group('f:0', 'f:1')]);
    const m = new DiscoveryManager({
      jobs: new Map<string, SDConfig[]>([['a', [staticCfg, fileCfg]], ['empty', []]]),
      newDiscoverer: (c) => (c.kind === 'static' ? new StaticDiscoverer({ groups: c.groups }) : scripted),
      updateIntervalMs: 100,
    });
    const ac = new AbortController();
    const it = m.run(ac.signal)[Symbol.asyncIterator]();
    const t0 = Date.now();
    const first = (await it.next()).value as ReadonlyMap<string, readonly TargetGroup[]>;
    expect(Date.now() - t0).toBeLessThan(100);
    expect(addrs(first, 'a')).toEqual(['f:1', 's:1', 's:2']);
    expect(first.get('empty')).toEqual([]);
    scripted.push([group('f:0', 'f:2')]);
    scripted.push([group('f:1', 'f:3')]);
    const second = (await it.next()).value as ReadonlyMap<string, readonly TargetGroup[]>;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    expect(addrs(second, 'a')).toEqual(['f:2', 'f:3', 's:1', 's:2']);
    scripted.push([group('f:0')]);
    const third = (await it.next()).value as ReadonlyMap<string, readonly TargetGroup[]>;
    expect(addrs(third, 'a')).toEqual(['f:3', 's:1', 's:2']);
    ac.abort();
    expect((await it.next()).done).toBe(true);
  });

  it('reports a failing provider and still serves the others', async () => {
    const errors: string[] = [];
    const m = new DiscoveryManager({
      jobs: new Map<string, SDConfig[]>([['a', [{ kind: 'dns', names: ['x'], type: 'SRV', port: 0, refreshIntervalMs: 1000 }, { kind: 'static', groups: [group('0', 's:1')] }]]]),
      newDiscoverer: (c) => {
        if (c.kind === 'dns') throw new Error('boom');
        return new StaticDiscoverer({ groups: c.kind === 'static' ? c.groups : [] });
      },
      onError: (e, job) => errors.push(`${job}: ${e.message}`),
      updateIntervalMs: 50,
    });
    const ac = new AbortController();
    const it = m.run(ac.signal)[Symbol.asyncIterator]();
    expect(addrs((await it.next()).value as ReadonlyMap<string, readonly TargetGroup[]>, 'a')).toEqual(['s:1']);
    expect(errors).toEqual(['a: boom']);
    ac.abort();
    expect((await it.next()).done).toBe(true);
  });
});

describe('DiscoveryManager.applyConfig', () => {
  it('keeps unchanged providers, starts new ones and drops removed jobs', async () => {
    let started = 0;
    const cfgA: SDConfig = { kind: 'static', groups: [group('0', 'a:1')] };
    const cfgB: SDConfig = { kind: 'static', groups: [group('0', 'b:1')] };
    const m = new DiscoveryManager({
      jobs: new Map<string, SDConfig[]>([['a', [cfgA]], ['old', [cfgB]]]),
      newDiscoverer: (c) => {
        started++;
        return new StaticDiscoverer({ groups: c.kind === 'static' ? c.groups : [] });
      },
      updateIntervalMs: 20,
    });
    const ac = new AbortController();
    const it = m.run(ac.signal)[Symbol.asyncIterator]();
    const first = (await it.next()).value as ReadonlyMap<string, readonly TargetGroup[]>;
    expect([...first.keys()]).toEqual(['a', 'old']);
    expect(started).toBe(2);
    // Same config for "a" (an equal but new object), a new job "c", "old" removed.
    m.applyConfig(new Map<string, SDConfig[]>([['a', [{ kind: 'static', groups: [group('0', 'a:1')] }]], ['c', [{ kind: 'static', groups: [group('0', 'c:1')] }]]]));
    const second = (await it.next()).value as ReadonlyMap<string, readonly TargetGroup[]>;
    expect([...second.keys()]).toEqual(['a', 'c']);
    expect(addrs(second, 'a')).toEqual(['a:1']);
    expect(addrs(second, 'c')).toEqual(['c:1']);
    expect(started).toBe(3);
    // A changed static group is a new provider.
    m.applyConfig(new Map<string, SDConfig[]>([['a', [{ kind: 'static', groups: [group('0', 'a:2')] }]]]));
    const third = (await it.next()).value as ReadonlyMap<string, readonly TargetGroup[]>;
    expect(addrs(third, 'a')).toEqual(['a:2']);
    expect(started).toBe(4);
    ac.abort();
    expect((await it.next()).done).toBe(true);
  });
});
