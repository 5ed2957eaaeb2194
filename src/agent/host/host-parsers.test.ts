import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ProcParseError,
  cleanMetricName,
  explodeSensorFilename,
  parseCpuList,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseOsRelease,
  parseProcStat,
  parseProcStatCpus,
  parsePsi,
  parseSysInt,
  parseUdevProperties,
} from './index.js';

describe('/proc parsers', () => {
  it('reads /proc/stat cpu lines as seconds and system-wide counters', () => {
    const text = 'cpu  10 0 0 0\ncpu0 101 2 3 4 5 6 7 8 9 10\ncpu3 1 1 1 1 1 1 1 1 0 0\nintr 8885917 17 0\nctxt 38014093\nbtime 1418183276\nprocesses 26442\nprocs_running 2\nprocs_blocked 0\nsoftirq 5057579 250191 1481983\n';
    const cpus = parseProcStatCpus(text);
    expect([...cpus.keys()]).toEqual([0, 3]);
    expect([...cpus.get(0)!]).toEqual([1.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1]);
    expect(parseProcStat(text)).toEqual({ intr: 8885917, ctxt: 38014093, btime: 1418183276, processes: 26442, procsRunning: 2, procsBlocked: 0, softirq: [250191, 1481983] });
  });

  const bad: readonly { name: string; run: () => unknown; line: number; detail: RegExp }[] = [
    { name: 'stat: bad cpu number', run: () => parseProcStatCpus('cpu0 1 2 x 4\n', 'stat'), line: 1, detail: /bad number "x"/ },
    { name: 'stat: bad ctxt', run: () => parseProcStat('btime 1\nctxt abc\n', 'stat'), line: 2, detail: /bad number/ },
    { name: 'meminfo: no value', run: () => parseMeminfo('MemTotal: 1 kB\nMemFree:\n', 'meminfo'), line: 2, detail: /invalid line/ },
    { name: 'meminfo: bad value', run: () => parseMeminfo('MemTotal: x kB\n', 'meminfo'), line: 1, detail: /invalid value "x"/ },
    { name: 'loadavg: short', run: () => parseLoadavg('0.1 0.2\n', 'loadavg'), line: 1, detail: /unexpected content/ },
    { name: 'diskstats: short line', run: () => parseDiskstats('8 0 sda 1 2 3\n', 'diskstats'), line: 1, detail: /at least 14 fields/ },
    { name: 'net/dev: no colon', run: () => parseNetDev('h1\nh2\neth0 1 2 3\n', 'dev'), line: 3, detail: /no ":"/ },
    { name: 'mounts: short line', run: () => parseMounts('/dev/vda / ext4 rw 0 0\nbroken\n', 'mounts'), line: 2, detail: /malformed/ },
    { name: 'psi: no total', run: () => parsePsi('some avg10=0.00\n', 'cpu'), line: 1, detail: /no total=/ },
  ];
  it.each(bad)('reports $name with its line', ({ run, line, detail }) => {
    let err: unknown;
    try {
      run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProcParseError);
    expect((err as ProcParseError).line).toBe(line);
    expect((err as ProcParseError).detail).toMatch(detail);
  });

  it('reads meminfo keys as node_exporter names them', () => {
    expect(parseMeminfo('MemTotal:       15666184 kB\nActive(anon):    1 kB\nHugePages_Total:       0\n\n')).toEqual(
      new Map([
        ['MemTotal_bytes', 15666184 * 1024],
        ['Active_anon_bytes', 1024],
        ['HugePages_Total', 0],
      ]),
    );
  });

  it('decodes mount point escapes', () => {
    expect(parseMounts('/dev/sdb1 /mnt/my\\040disk ext4 ro,relatime 0 0\n')[0]).toEqual({ device: '/dev/sdb1', mountPoint: '/mnt/my disk', fsType: 'ext4', options: 'ro,relatime' });
  });

  it('reads small formats', () => {
    expect(parseCpuList('1,3-5,9\n')).toEqual([1, 3, 4, 5, 9]);
    expect(parseSysInt('0x1003\n')).toBe(4099);
    expect(parseSysInt('-1\n')).toBe(-1);
    expect(parseSysInt('')).toBeUndefined();
    expect(parseUdevProperties('S:disk/by-id/x\nE:ID_MODEL=Virtual_CDROM0\nE:ID_PATH=pci-0000:00:14.0-usb-0:1.1:1.0-scsi-0:0:0:0\n')).toEqual(
      new Map([
        ['ID_MODEL', 'Virtual_CDROM0'],
        ['ID_PATH', 'pci-0000:00:14.0-usb-0:1.1:1.0-scsi-0:0:0:0'],
      ]),
    );
    expect(parseOsRelease('NAME="Debian GNU/Linux"\nVERSION_ID="12"\n# c\nID=debian\nX=\'a b\'\n')).toEqual(
      new Map([
        ['NAME', 'Debian GNU/Linux'],
        ['VERSION_ID', '12'],
        ['ID', 'debian'],
        ['X', 'a b'],
      ]),
    );
    expect(explodeSensorFilename('temp1_crit_alarm')).toEqual({ type: 'temp', num: 1, property: 'crit_alarm' });
    expect(explodeSensorFilename('beep_enable')).toEqual({ type: 'beep_enable', num: 0, property: '' });
    expect(cleanMetricName('  Core 0\n')).toBe('core_0');
  });

  it('never throws anything but ProcParseError on arbitrary text (fuzz)', () => {
    const parsers = [parseProcStatCpus, parseProcStat, parseMeminfo, parseLoadavg, parseDiskstats, parseNetDev, parseMounts, parsePsi];
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        for (const p of parsers) {
          try {
            p(s, 'x');
          } catch (e) {
            if (!(e instanceof ProcParseError)) throw e;
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
