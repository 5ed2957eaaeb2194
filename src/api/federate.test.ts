import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../config/index.js';
import { Labels, STALE_NAN } from '../model/index.js';
import { Engine } from '../promql/index.js';
import { MemoryStorage } from '../storage/index.js';
import { HttpServer, Router, mountPrometheusApi } from './index.js';
import { federationChunks } from './federate.js';

const NOW = 1_700_000_000_000;
const l = (...nv: string[]): Labels => Labels.fromStrings(...nv);

describe('federationChunks', () => {
  it('writes families in order with the external labels each series lacks, instance always', () => {
    const text = [
      ...federationChunks(
        [
          { labels: l('__name__', 'a', 'job', 'j', 'z', '1'), t: 1000, v: 1.5 },
          { labels: l('__name__', 'a', 'job', 'j', 'z', '2', 'cluster', 'own'), t: 2000, v: 1e21 },
          { labels: l('__name__', 'b', 'instance', 'i:1', 'le', '+Inf'), t: 3000, v: NaN },
          { labels: l('job', 'nameless'), t: 3000, v: 1 },
          { labels: l('__name__', 'c', 'v', 'q"\\\n'), t: -5, v: -Infinity },
        ],
        l('cluster', 'c1', 'region', 'eu'),
      ),
    ].join('');
    expect(text).toBe(
      [
        '# TYPE a untyped',
        'a{job="j",z="1",cluster="c1",instance="",region="eu"} 1.5 1000',
        'a{cluster="own",job="j",z="2",instance="",region="eu"} 1e+21 2000',
        '# TYPE b untyped',
        'b{instance="i:1",le="+Inf",cluster="c1",region="eu"} NaN 3000',
        '# TYPE c untyped',
        'c{v="q\\"\\\\\\n",cluster="c1",instance="",region="eu"} -Inf -5',
        '',
      ].join('\n'),
    );
  });
});

describe('/federate', () => {
  let base = '';
  let close: () => Promise<void> = async () => {};
  beforeAll(async () => {
    const st = new MemoryStorage();
    const app = st.appender();
    // Series "old" ends before the 5 minute window; "stale" ends with a staleness marker.
    app.append(0, l('__name__', 'old', 'job', 'x'), NOW - 400_000, 1);
    for (let i = 0; i < 10; i++) {
      const t = NOW - 100_000 + i * 10_000;
      app.append(0, l('__name__', 'up', 'job', 'node', 'instance', 'a'), t, i);
      app.append(0, l('__name__', 'go_goroutines', 'job', 'node', 'instance', 'a'), t, 40 + i);
      app.append(0, l('__name__', 'stale', 'job', 'node'), t, i === 9 ? STALE_NAN : i);
    }
    await app.commit();
    const router = new Router();
    const config = { global: { externalLabels: l('cluster', 'c1') } } as unknown as Config;
    mountPrometheusApi(router, { engine: new Engine({ queryable: st }), queryable: st, now: () => NOW, config: () => config });
    const srv = new HttpServer({ listenAddress: '127.0.0.1:0', router });
    base = `http://127.0.0.1:${(await srv.listen()).port}`;
    close = () => srv.close();
  });
  afterAll(() => close());

  it('returns the newest non-stale sample of each selected series', async () => {
    const r = await fetch(`${base}/federate?match[]=${encodeURIComponent('{job=~"node|x"}')}&match[]=up`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await r.text()).toBe(
      [
        '# TYPE go_goroutines untyped',
        `go_goroutines{instance="a",job="node",cluster="c1"} 49 ${NOW - 10_000}`,
        '# TYPE up untyped',
        `up{instance="a",job="node",cluster="c1"} 9 ${NOW - 10_000}`,
        '',
      ].join('\n'),
    );
  });

  // Prometheus 2.42: /federate?match[]={job=~".*"} returns every series, {} and {job=""} none.
  it.each([
    { match: '{job=~".*"}', names: ['go_goroutines', 'up'] },
    { match: '{__name__=~".*"}', names: ['go_goroutines', 'up'] },
    { match: '{}', names: [] },
    { match: '{job=""}', names: [] },
    { match: 'up{__name__="x"}', names: [] },
  ])('accepts the selector $match, whose matchers may all match the empty value', async ({ match, names }) => {
    const r = await fetch(`${base}/federate?match[]=${encodeURIComponent(match)}`);
    expect(r.status).toBe(200);
    const got = (await r.text()).split('\n').filter((x) => x.startsWith('# TYPE ')).map((x) => x.split(' ')[2]);
    expect(got).toEqual(names);
  });

  it('answers an empty body without match[] and 400 for a bad selector', async () => {
    const empty = await fetch(`${base}/federate`);
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
    const bad = await fetch(`${base}/federate?match[]=up(`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('1:3: parse error: unexpected "("\n');
  });
});
