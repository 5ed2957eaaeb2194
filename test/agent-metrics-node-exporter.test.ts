// vigil's host collectors against node_exporter's own end-to-end fixture: the same /proc and
// /sys trees (sys.ttar and udev.ttar unpacked here) must give the same series, label values,
// values, HELP and TYPE as node_exporter's e2e-output.txt, for every family vigil implements.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostCollector, MetricBatch, renderText } from '../src/agent/index.js';
import { shared } from './support/shared.js';

const FIXTURES = shared('corpus/metrics/procfs-sysfs/node_exporter');
const E2E = shared('corpus/metrics/exposition/node_exporter/e2e-output.txt');

/** untar unpacks a ttar archive (node_exporter's plain-text archive format) under dest. */
function untar(archive: string, dest: string): void {
  const lines = readFileSync(archive, 'utf8').split('\n');
  let last = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('Directory: ')) {
      last = join(dest, line.slice(11));
      mkdirSync(last, { recursive: true });
    } else if (line.startsWith('Path: ')) {
      last = join(dest, line.slice(6));
      mkdirSync(dirname(last), { recursive: true });
      const next = lines[i + 1]!;
      if (next.startsWith('SymlinkTo: ')) {
        symlinkSync(next.slice(11), last);
        i++;
      } else if (next.startsWith('Lines: ')) {
        const n = Number(next.slice(7));
        const body = lines.slice(i + 2, i + 2 + n);
        let text = body.join('\n') + (n > 0 ? '\n' : '');
        if (text.endsWith('EOF\n')) text = text.slice(0, -4);
        writeFileSync(last, text.replaceAll('NULLBYTE', '\0'));
        i += 1 + n;
      } else {
        throw new Error(`ttar ${archive}:${i + 2}: unexpected "${next}"`);
      }
    } else if (line.startsWith('Mode: ') && last !== '') {
      try {
        chmodSync(last, parseInt(line.slice(6), 8) | 0o200);
      } catch {
        // Symlinks to missing targets cannot be chmod-ed.
      }
    }
  }
}

interface Exposition {
  readonly samples: Map<string, string>;
  readonly help: Map<string, string>;
  readonly type: Map<string, string>;
}

function parse(text: string): Exposition {
  const samples = new Map<string, string>();
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# HELP ')) {
      const sp = line.indexOf(' ', 7);
      help.set(line.slice(7, sp), line.slice(sp + 1));
    } else if (line.startsWith('# TYPE ')) {
      const [, , n, t] = line.split(' ');
      type.set(n!, t!);
    } else if (line !== '' && !line.startsWith('#')) {
      const sp = line.lastIndexOf(' ');
      samples.set(line.slice(0, sp), line.slice(sp + 1));
    }
  }
  return { samples, help, type };
}

const familyOf = (series: string): string => series.replace(/\{.*$/, '');

// Families where node_exporter's e2e run reads the live machine rather than the fixture.
const LIVE = /^node_(time_seconds|time_zone_offset_seconds|scrape_collector_duration_seconds)$/;

describe('host collectors against node_exporter e2e fixtures', () => {
  let dir: string;
  let mine: Exposition;
  let want: Exposition;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-ne-fixtures-'));
    untar(join(FIXTURES, 'sys.ttar'), dir);
    untar(join(FIXTURES, 'udev.ttar'), dir);
    const errors: string[] = [];
    const host = new HostCollector({
      paths: { procfs: join(FIXTURES, 'proc'), sysfs: join(dir, 'sys'), rootfs: dir, udevData: join(dir, 'udev/data') },
      // The collectors e2e-output.txt covers, with the flags end-to-end-test.sh passes.
      enable: { filesystem: false, uname: false, netdev: false, os: false },
      cpuInfo: true,
      cpuInfoBugsInclude: '^(cpu_meltdown|spectre_.*|mds)$',
      cpuInfoFlagsInclude: '^(aes|avx.?|constant_tsc)$',
      hwmonChipInclude: '(applesmc|asus_nb_wmi|coretemp|hwmon4|ieee80211|nct6779)',
      netclassIgnoreInvalidSpeed: true,
      netclassIgnoredDevices: '(dmz|int)',
      statSoftirq: true,
      onError: (e) => errors.push(e.message),
    });
    const batch = new MetricBatch();
    await host.collect(batch);
    expect(errors).toEqual([]);
    mine = parse(renderText(batch));
    want = parse(readFileSync(E2E, 'utf8'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('emits every series of the families it implements, with the same values', () => {
    const families = new Set([...mine.samples.keys()].map(familyOf));
    const missing: string[] = [];
    const differ: string[] = [];
    for (const [series, v] of want.samples) {
      const fam = familyOf(series);
      if (!families.has(fam) || LIVE.test(fam)) continue;
      if (fam === 'node_scrape_collector_success' && !mine.samples.has(series)) continue; // collectors vigil does not have
      const got = mine.samples.get(series);
      if (got === undefined) missing.push(series);
      else if (got !== v) differ.push(`${series}: got ${got}, want ${v}`);
    }
    expect(missing).toEqual([]);
    expect(differ).toEqual([]);
  });

  it('emits no series node_exporter does not', () => {
    const extra = [...mine.samples.keys()].filter((s) => !want.samples.has(s) && !LIVE.test(familyOf(s)));
    expect(extra).toEqual([]);
  });

  it('writes the same HELP and TYPE lines', () => {
    const bad: string[] = [];
    for (const fam of new Set([...mine.samples.keys()].map(familyOf))) {
      if (want.help.get(fam) !== mine.help.get(fam)) bad.push(`HELP ${fam}: "${mine.help.get(fam)}" want "${want.help.get(fam)}"`);
      if (want.type.get(fam) !== mine.type.get(fam)) bad.push(`TYPE ${fam}: ${mine.type.get(fam)} want ${want.type.get(fam)}`);
    }
    expect(bad).toEqual([]);
  });

  it('covers the collectors of the task', () => {
    const fams = new Set([...mine.samples.keys()].map(familyOf));
    for (const f of ['node_cpu_seconds_total', 'node_memory_MemTotal_bytes', 'node_load1', 'node_boot_time_seconds', 'node_vmstat_oom_kill', 'node_disk_read_bytes_total', 'node_pressure_io_stalled_seconds_total', 'node_hwmon_temp_celsius', 'node_thermal_zone_temp', 'node_network_up', 'node_time_clocksource_current_info']) {
      expect(fams.has(f), f).toBe(true);
    }
  });
});
