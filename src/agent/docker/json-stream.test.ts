import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DockerStreamError, JsonObjectSplitter, parseDockerEvent } from './index.js';
import { shared } from '../../../test/support/shared.js';

const CORPUS = shared('corpus/docker-api/moby-api-docs-v1.24/events.json-stream');

describe('JsonObjectSplitter', () => {
  it('splits pretty-printed concatenated objects (the API reference example)', () => {
    const s = new JsonObjectSplitter({ path: '/events' });
    const texts = s.push(readFileSync(CORPUS));
    s.end();
    expect(texts.length).toBeGreaterThan(3);
    const evs = texts.map((t) => parseDockerEvent(t));
    expect(evs[0]).toMatchObject({ type: 'image', action: 'pull', actorId: 'alpine:latest' });
    expect(evs[1]).toMatchObject({ type: 'container', action: 'create', attributes: { name: 'my-container', image: 'alpine' } });
    // timeNano keeps all 19 digits (a double would round it).
    expect(evs[0]!.timeNano).toBe('1461943101301854122');
    expect(evs[0]!.t).toBe(1461943101301);
    expect(evs[0]!.ns).toBe(854122);
  });

  it('gives the same objects however the stream is cut (property)', () => {
    const objs = [
      { a: 'x{y}"z', b: [1, { c: '\\"}' }] },
      { Type: 'container', Action: 'health_status: healthy', Actor: { ID: 'ab', Attributes: { name: 'ü€😀' } } },
      {},
    ];
    const whole = Buffer.from(objs.map((o) => JSON.stringify(o)).join('\n') + '\n  ' + JSON.stringify(objs[1], null, 2));
    const want = [...objs.map((o) => JSON.stringify(o)), JSON.stringify(objs[1], null, 2)];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: whole.length }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const s = new JsonObjectSplitter({ path: '/events' });
        const got: string[] = [];
        let prev = 0;
        for (const p of [...points, whole.length]) {
          got.push(...s.push(whole.subarray(prev, p)));
          prev = p;
        }
        s.end();
        expect(got).toEqual(want);
      }),
    );
  });

  it('reports junk between objects with its offset', () => {
    const s = new JsonObjectSplitter({ path: '/events' });
    expect(s.push(Buffer.from('{"a":1}\n'))).toHaveLength(1);
    let err: unknown;
    try {
      s.push(Buffer.from(' x{}'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DockerStreamError);
    expect((err as DockerStreamError).offset).toBe(9);
  });

  it('reports a stream cut inside an object, and an oversized object', () => {
    const s = new JsonObjectSplitter({ path: '/events' });
    s.push(Buffer.from('{"a":'));
    expect(() => s.end()).toThrow(/inside an object/);
    const t = new JsonObjectSplitter({ path: '/events', maxObjectBytes: 10 });
    expect(() => t.push(Buffer.from('{"aaaaaaaaaaaaaaaa'))).toThrow(/longer than 10 bytes/);
  });

  it('never throws anything but DockerStreamError on random bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const s = new JsonObjectSplitter({ path: '/events' });
        try {
          for (const t of s.push(Buffer.from(bytes))) {
            try {
              parseDockerEvent(t);
            } catch (e) {
              if (!(e instanceof DockerStreamError)) throw e;
            }
          }
          s.end();
        } catch (e) {
          if (!(e instanceof DockerStreamError)) throw e;
        }
      }),
    );
  });
});

describe('parseDockerEvent', () => {
  const cases = [
    {
      name: 'health status with detail',
      input: '{"status":"health_status: healthy","id":"c1","from":"nginx","Type":"container","Action":"health_status: healthy","Actor":{"ID":"c1","Attributes":{"image":"nginx","name":"web"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789}',
      want: { type: 'container', action: 'health_status', actionDetail: 'healthy', actorId: 'c1', scope: 'local', t: 1700000000123, ns: 456789, timeNano: '1700000000123456789' },
    },
    {
      name: 'old engine form (status, id, from)',
      input: '{"status":"die","id":"c2","from":"busybox","time":1461943101}',
      want: { type: 'container', action: 'die', actorId: 'c2', attributes: { image: 'busybox' }, t: 1461943101000, ns: 0 },
    },
    {
      name: 'podman die with exit code',
      input: '{"status":"died","id":"p1","Type":"container","Action":"die","Actor":{"ID":"p1","Attributes":{"containerExitCode":"137","exitCode":"137","name":"oom"}},"time":1763767301,"timeNano":1763767301840914417}',
      want: { action: 'die', attributes: { exitCode: '137', containerExitCode: '137', name: 'oom' } },
    },
  ];
  it.each(cases)('$name', ({ input, want }) => {
    expect(parseDockerEvent(input)).toMatchObject(want);
  });
  it('rejects non-objects', () => {
    expect(() => parseDockerEvent('[1]')).toThrow(DockerStreamError);
    expect(() => parseDockerEvent('{')).toThrow(/not valid JSON/);
  });
});
