// deploy/: the systemd and fleet units pass `systemd-analyze verify` without a warning, the
// Kubernetes manifest parses and gives the agent the mounts and permissions it needs, and every
// flag the units and the manifest pass to `vigil agent`/`vigil server` exists.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { LOGS_EXTENSION } from '../src/cli/agent-logs.js';
import { AGENT_FLAGS } from '../src/cli/cmd-agent.js';
import { parseFlags } from '../src/cli/flags.js';
import { SERVER_FLAGS } from '../src/cli/server-flags.js';
import { findBinary } from './support/peers.js';

const DEPLOY = resolve(import.meta.dirname, '../deploy');
const read = (p: string): string => readFileSync(join(DEPLOY, p), 'utf8');
const AGENT_SPECS = [...AGENT_FLAGS, ...LOGS_EXTENSION.flags];

/** The arguments of a unit's ExecStart (continuation lines joined, ${VAR} and $VAR expanded to placeholders). */
function execStartArgs(unit: string): string[] {
  const joined = unit.replace(/\\\n/g, ' ');
  const line = joined.split('\n').find((l) => l.startsWith('ExecStart='))!;
  return line
    .slice('ExecStart='.length)
    .replace(/\$\{[A-Z_]+\}/g, 'X')
    .replace(/\$[A-Z_]+/g, '')
    .split(/\s+/)
    .filter((a) => a !== '');
}

describe('systemd and fleet units', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-deploy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const analyze = findBinary('systemd-analyze');

  it.each([
    { file: 'systemd/vigil-agent.service', cmd: 'agent', start: ['node', '--no-concurrent-recompilation', '/usr/bin/vigil'] },
    { file: 'systemd/vigil-server.service', cmd: 'server', start: ['/usr/bin/vigil'] },
  ])('$file runs vigil $cmd with flags it knows', ({ file, cmd, start }) => {
    const args = execStartArgs(read(file));
    expect(args.slice(0, start.length + 1)).toEqual([...start, cmd]);
    expect(() => parseFlags(args.slice(start.length + 1), cmd === 'agent' ? AGENT_SPECS : SERVER_FLAGS)).not.toThrow();
  });

  it('the agent units set the memory settings of deploy/README.md, and node takes the flag', () => {
    expect(read('systemd/vigil-agent.service')).toMatch(/^Environment=NODE_OPTIONS=--max-semi-space-size=1 MALLOC_ARENA_MAX=2$/m);
    expect(read('fleet/vigil-agent.service')).toContain('-e NODE_OPTIONS=--max-semi-space-size=1 -e MALLOC_ARENA_MAX=2');
    const r = spawnSync(process.execPath, ['--no-concurrent-recompilation', '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok');
  });

  it('the fleet unit is global and runs the agent container with the host mounts', () => {
    const unit = read('fleet/vigil-agent.service');
    expect(unit).toMatch(/^\[X-Fleet\]\nGlobal=true$/m);
    const args = execStartArgs(unit);
    const image = args.indexOf('X');
    expect(args).toContain('--entrypoint=node');
    expect(args.slice(image + 1, image + 4)).toEqual(['--no-concurrent-recompilation', '/opt/vigil/bin/vigil.js', 'agent']);
    expect(() => parseFlags(args.slice(image + 4), AGENT_SPECS)).not.toThrow();
    for (const m of ['/proc:/host/proc:ro', '/sys:/host/sys:ro', '/var/log:/var/log:ro', '/run/log/journal:/run/log/journal:ro', '/var/log/journal:/var/log/journal:ro', '/var/lib/docker/containers:/var/lib/docker/containers:ro', '/var/run/docker.sock:/var/run/docker.sock', '/var/lib/vigil-agent:/var/lib/vigil-agent']) {
      expect(args).toContain(m);
    }
  });

  it.skipIf(analyze === undefined).each([
    { file: 'systemd/vigil-agent.service', binary: '/usr/bin/vigil' },
    { file: 'systemd/vigil-server.service', binary: '/usr/bin/vigil' },
    { file: 'fleet/vigil-agent.service', binary: '/usr/bin/docker' },
  ])('systemd-analyze verify accepts $file without a warning', ({ file, binary }) => {
    // The binaries are not installed here: point at one that exists. Docker's unit is not either.
    let text = read(file).replaceAll(binary, '/bin/true');
    if (file.startsWith('fleet/')) text = text.replace(/^(Requires|After)=docker\.service$/gm, '');
    const path = join(dir, file.replace('/', '-'));
    writeFileSync(path, text);
    const r = spawnSync(analyze!, ['verify', '--man=no', path], { encoding: 'utf8' });
    expect(r.stderr.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('Kubernetes DaemonSet', () => {
  const docs = parseAllDocuments(read('kubernetes/vigil-agent.yaml'));
  for (const d of docs) if (d.errors.length > 0) throw d.errors[0];
  const objs = docs.map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec?: unknown });
  const ds = objs.find((o) => o.kind === 'DaemonSet') as unknown as {
    spec: { template: { spec: { hostNetwork: boolean; hostPID: boolean; serviceAccountName: string; tolerations: unknown[]; volumes: { name: string; hostPath?: { path: string } }[]; containers: { command: string[]; args: string[]; env: { name: string; value?: string }[]; securityContext: Record<string, unknown>; resources: { requests: Record<string, string>; limits: Record<string, string> }; volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] }[] } } };
  };
  const pod = ds.spec.template.spec;
  const c = pod.containers[0]!;

  it('has the RBAC objects the service account needs', () => {
    expect(objs.map((o) => o.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'DaemonSet']);
    expect(pod.serviceAccountName).toBe('vigil-agent');
  });

  it.each(['/proc', '/sys', '/var/log', '/var/lib/docker/containers', '/run/log/journal', '/var/log/journal', '/var/run', '/var/lib/vigil-agent', '/etc/machine-id', '/'])('mounts the host path %s', (path) => {
    const vol = pod.volumes.find((v) => v.hostPath?.path === path);
    expect(vol).toBeDefined();
    const mount = c.volumeMounts.find((m) => m.name === vol!.name);
    expect(mount).toBeDefined();
    // Only the state directory is writable.
    expect(mount!.readOnly === true).toBe(path !== '/var/lib/vigil-agent');
  });

  it('runs with the host namespaces, least privilege and bounded resources', () => {
    expect(pod.hostNetwork).toBe(true);
    expect(pod.hostPID).toBe(true);
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'], add: ['DAC_READ_SEARCH', 'SYSLOG', 'SYS_PTRACE'] } });
    expect(c.resources.requests).toEqual({ cpu: '50m', memory: '64Mi' });
    expect(c.resources.limits.memory).toBe('192Mi');
  });

  it('passes only flags vigil agent knows, with the paths it mounts', () => {
    expect(c.command).toEqual(['node', '--no-concurrent-recompilation', '/opt/vigil/bin/vigil.js']);
    expect(c.env).toEqual(expect.arrayContaining([{ name: 'NODE_OPTIONS', value: '--max-semi-space-size=1' }, { name: 'MALLOC_ARENA_MAX', value: '2' }]));
    expect(c.args[0]).toBe('agent');
    const f = parseFlags(c.args.slice(1).map((a) => a.replace(/\$\(([A-Z_]+)\)/g, 'X')), AGENT_SPECS);
    expect(f.values.get('path.procfs')).toBe('/host/proc');
    expect(f.values.get('data.dir')).toBe('/var/lib/vigil-agent');
    expect(f.values.get('logs.cri')).toBe(true);
    for (const v of c.args.join(' ').match(/\$\(([A-Z_]+)\)/g) ?? []) expect(c.env.map((e) => `$(${e.name})`)).toContain(v);
  });
});
