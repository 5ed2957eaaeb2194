import { describe, expect, it } from 'vitest';
import { DockerHostError, parseDockerHost, describeEndpoint } from './index.js';

describe('parseDockerHost', () => {
  const ok = [
    { name: 'default', input: undefined, env: {}, want: { kind: 'unix', socketPath: '/var/run/docker.sock' } },
    { name: 'empty', input: '', env: {}, want: { kind: 'unix', socketPath: '/var/run/docker.sock' } },
    { name: 'unix', input: 'unix:///tmp/vigil-podman/podman.sock', env: {}, want: { kind: 'unix', socketPath: '/tmp/vigil-podman/podman.sock' } },
    { name: 'bare path', input: '/run/docker.sock', env: {}, want: { kind: 'unix', socketPath: '/run/docker.sock' } },
    { name: 'tcp', input: 'tcp://10.0.0.1:2375', env: {}, want: { kind: 'tcp', host: '10.0.0.1', port: 2375, tls: undefined } },
    { name: 'tcp default port', input: 'tcp://docker', env: {}, want: { kind: 'tcp', host: 'docker', port: 2375, tls: undefined } },
    { name: 'tcp ipv6', input: 'tcp://[::1]:2376', env: {}, want: { kind: 'tcp', host: '::1', port: 2376, tls: undefined } },
    {
      name: 'tls verify',
      input: 'tcp://h',
      env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      want: { kind: 'tcp', host: 'h', port: 2376, tls: { caFile: '/certs/ca.pem', certFile: '/certs/cert.pem', keyFile: '/certs/key.pem' } },
    },
  ] as const;
  it.each(ok)('$name', ({ input, env, want }) => {
    expect(parseDockerHost(input, env)).toEqual(want);
  });

  const bad = [
    { name: 'relative unix', input: 'unix://run/docker.sock', detail: /absolute/ },
    { name: 'ssh', input: 'ssh://user@host', detail: /unsupported scheme "ssh"/ },
    { name: 'npipe', input: 'npipe:////./pipe/docker_engine', detail: /unsupported scheme/ },
    { name: 'bad port', input: 'tcp://h:99999', detail: /invalid port/ },
    { name: 'no scheme', input: 'localhost:2375', detail: /want unix/ },
    { name: 'no host', input: 'tcp://', detail: /missing host/ },
  ];
  it.each(bad)('rejects $name', ({ input, detail }) => {
    let err: unknown;
    try {
      parseDockerHost(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DockerHostError);
    expect((err as DockerHostError).message).toMatch(detail);
    expect((err as DockerHostError).value).toBe(input);
  });

  it('describes endpoints', () => {
    expect(describeEndpoint(parseDockerHost('unix:///x.sock'))).toBe('unix:///x.sock');
    expect(describeEndpoint(parseDockerHost('tcp://h:1'))).toBe('tcp://h:1');
  });
});
