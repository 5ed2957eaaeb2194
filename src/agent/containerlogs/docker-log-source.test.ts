import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ContainerLogLine, ContainerSummary, LogsQuery } from '../docker/index.js';
import { MemorySink } from '../ship/index.js';
import { criFileLabels, criLogFiles } from './cri-log-files.js';
import { DockerLogSource, sinceText, type ContainerLogClient } from './docker-log-source.js';

const ID = 'a'.repeat(64);
const T0 = Date.parse('2026-11-21T23:21:41Z');

function container(over: Partial<ContainerSummary> = {}): ContainerSummary {
  return { id: ID, name: 'web', image: 'busybox', imageId: 'sha256:x', labels: {}, state: 'running', status: 'Up', created: Math.floor(T0 / 1000) - 10, ...over };
}

/** A fake engine: a container's output so far, filtered by `since` as the engine does (inclusive, on whole seconds like podman). */
class FakeEngine implements ContainerLogClient {
  containers: ContainerSummary[] = [container()];
  output: ContainerLogLine[] = [];
  readonly queries: LogsQuery[] = [];

  async listContainers(): Promise<ContainerSummary[]> {
    return this.containers;
  }

  async *logs(_id: string, q: LogsQuery): AsyncIterable<ContainerLogLine> {
    this.queries.push(q);
    const since = q.since === undefined ? -Infinity : Math.floor(Number(q.since)) * 1000;
    for (const l of this.output) if (l.t >= since) yield l;
  }

  say(sec: number, line: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.output.push({ stream, t: T0 + sec * 1000, ns: 0, timestamp: new Date(T0 + sec * 1000).toISOString(), line });
  }
}

async function once(src: DockerLogSource): Promise<void> {
  const ac = new AbortController();
  await src.refresh(ac.signal);
  // Let the followers drain the fake streams.
  for (let i = 0; i < 20 && src.following().length > 0; i++) await new Promise((r) => setTimeout(r, 5));
}

describe('DockerLogSource', () => {
  it('formats since as seconds with nine digits', () => {
    expect(sinceText(1763767301123, 456789)).toBe('1763767301.123456789');
    expect(sinceText(1763767301000, 5)).toBe('1763767301.000000005');
  });

  it('ships lines with the engine time and labels, and resumes on a whole-second timestamp without repeating a line', async () => {
    const eng = new FakeEngine();
    eng.containers = [container({ state: 'exited', created: Math.floor(Date.now() / 1000) + 5, labels: { 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.pod.name': 'web-1', 'io.kubernetes.container.name': 'nginx' } })];
    eng.say(0, 'a');
    eng.say(1, 'b');
    eng.say(1, 'level=error msg=c', 'stderr');
    const sink = new MemorySink();
    const src = new DockerLogSource({ client: eng, sink });
    await once(src);
    expect(sink.lines()).toEqual(['a', 'b', 'level=error msg=c']);
    expect(sink.entries[0]).toMatchObject({ t: T0, ns: 0, fields: { container_id: ID } });
    expect(sink.entries[2]!.labels.toObject()).toEqual({ job: 'docker', namespace: 'shop', pod: 'web-1', container: 'nginx', stream: 'stderr', level: 'error' });
    expect(sink.position(`docker:${ID}`)).toEqual({ t: T0 + 1000, ns: 0, n: 2, done: true });
    // The container runs again and says more in the same second: a new source instance resumes.
    eng.containers = [{ ...eng.containers[0]!, state: 'running' }];
    eng.say(1, 'd');
    eng.say(2, 'e');
    const src2 = new DockerLogSource({ client: eng, sink });
    await once(src2);
    expect(eng.queries[1]!.since).toBe(`${T0 / 1000 + 1}.000000000`);
    expect(sink.lines()).toEqual(['a', 'b', 'level=error msg=c', 'd', 'e']);
  });

  it('reads containers that were running at the very first start from now on, and new ones from their start', async () => {
    const eng = new FakeEngine();
    eng.say(0, 'old');
    const sink = new MemorySink();
    const src = new DockerLogSource({ client: eng, sink });
    const ac = new AbortController();
    const run = src.run(ac.signal);
    await new Promise((r) => setTimeout(r, 30));
    ac.abort();
    await run;
    expect(Number(eng.queries[0]!.since)).toBeGreaterThan(Date.now() / 1000 - 5);
    expect(eng.queries[0]!.follow).toBe(true);
    const created = Math.floor(Date.now() / 1000) + 1;
    eng.containers.push(container({ id: 'b'.repeat(64), name: 'new', created }));
    await src.refresh(new AbortController().signal);
    expect(eng.queries[eng.queries.length - 1]!.since).toBeUndefined();
  });

  it('forgets removed containers and skips opted-out ones', async () => {
    const eng = new FakeEngine();
    eng.containers = [container({ state: 'exited', created: Math.floor(Date.now() / 1000) + 5 }), container({ id: 'c'.repeat(64), labels: { 'vigil.logs': 'false' } })];
    eng.say(0, 'x');
    const sink = new MemorySink();
    const src = new DockerLogSource({ client: eng, sink });
    await once(src);
    expect(sink.lines()).toEqual(['x']);
    expect(sink.sources()).toContain(`docker:${ID}`);
    eng.containers = [];
    await once(src);
    expect(sink.sources()).not.toContain(`docker:${ID}`);
  });
});

describe('CRI log files', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it.each([
    { path: `/var/log/containers/web-7d9f_shop_nginx-${ID}.log`, want: { pod: 'web-7d9f', namespace: 'shop', container: 'nginx', container_id: ID } },
    { path: '/var/log/containers/random.log', want: undefined },
  ])('labels from $path', ({ path, want }) => {
    expect(criFileLabels(path)).toEqual(want);
  });

  it('follows CRI files: partial lines joined, stream and pod labels', () => {
    const d = mkdtempSync(join(tmpdir(), 'vigil-cri-'));
    dirs.push(d);
    const f = join(d, `web-1_shop_app-${ID}.log`);
    writeFileSync(f, '2026-11-21T23:21:41.000000001Z stdout P hel\n2026-11-21T23:21:41.000000002Z stdout F lo\n');
    const sink = new MemorySink();
    const t = criLogFiles({ sink, include: [join(d, '*.log')], startAt: 'beginning' });
    t.open();
    t.step();
    appendFileSync(f, '2026-11-21T23:21:42.5Z stderr F oops\n');
    t.step();
    expect(sink.lines()).toEqual(['hello', 'oops']);
    expect(sink.entries[0]!.labels.toObject()).toEqual({ job: 'kubernetes-pods', namespace: 'shop', pod: 'web-1', container: 'app', stream: 'stdout' });
    expect(sink.entries[0]).toMatchObject({ t: T0, ns: 1 });
    expect(sink.entries[1]!.labels.get('stream')).toBe('stderr');
    t.close();
  });
});
