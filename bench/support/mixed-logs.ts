// The bench's mixed log input: the generator's events wrapped in the envelopes a gateway receives.

/** Wraps the generator's events (a line and its indented or exception continuation lines) in envelopes, one kind in seven each. */
export function mixFormats(text: string): string {
  const lines = text.split('\n').slice(0, -1);
  const events: string[][] = [];
  for (const l of lines) {
    const prev = events[events.length - 1];
    const cont = prev !== undefined && (l.startsWith('\t') || l.startsWith(' ') || l.startsWith('Caused by: ') || (prev.length === 1 && /^[\w$.]+(Exception|Error)(:|$)/.test(l)));
    if (cont) prev.push(l);
    else events.push([l]);
  }
  const units = ['api', 'worker', 'nginx', 'kubelet', 'containerd', 'sshd', 'cron', 'payments'];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const base = Date.UTC(2026, 10, 22, 3, 0, 0);
  const out: string[] = [];
  events.forEach((ev, i) => {
    const ms = base + i;
    const us = String(ms * 1000 + (i % 997));
    const d = new Date(ms);
    const iso = `${d.toISOString().slice(0, 19)}.${us.slice(-6)}${String(i % 1000).padStart(3, '0')}Z`;
    const err = /ERROR|"level":"error"|^E\d/.test(ev[0]!);
    const host = `node-${i % 5}`;
    const unit = units[(i >>> 3) % units.length]!;
    const pid = 1000 + units.indexOf(unit);
    switch (i % 7) {
      case 1: // CRI
        for (const l of ev) out.push(`${iso} ${err ? 'stderr' : 'stdout'} F ${l}`);
        break;
      case 2: // Docker json-file
        for (const l of ev) out.push(JSON.stringify({ log: l + '\n', stream: err ? 'stderr' : 'stdout', time: iso }));
        break;
      case 3: {
        // journalctl -o short-precise
        const head = `${mon[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}.${us.slice(-6)} ${host} ${unit}[${pid}]: `;
        out.push(head + ev[0]);
        for (const l of ev.slice(1)) out.push(' '.repeat(head.length) + l);
        break;
      }
      case 4: // journalctl -o json
        out.push(JSON.stringify({
          __CURSOR: `s=6b2c;i=${i.toString(16)};b=8f1e;m=${i.toString(16)};t=${us};x=${i.toString(16)}`,
          __REALTIME_TIMESTAMP: us, __MONOTONIC_TIMESTAMP: String(1e9 + i), _BOOT_ID: '8f1e0c3a2b4d4e5f9a0b1c2d3e4f5a6b',
          PRIORITY: err ? '3' : '6', _UID: '0', _GID: '0', _COMM: unit, _EXE: `/usr/bin/${unit}`, _PID: String(pid),
          _SYSTEMD_UNIT: `${unit}.service`, SYSLOG_IDENTIFIER: unit, _TRANSPORT: 'stdout', _HOSTNAME: host, MESSAGE: ev.join('\n'),
        }));
        break;
      case 5: // dockerd logfmt (single-line events)
        if (ev.length === 1) {
          out.push(`time="${iso}" level=${err ? 'error' : 'info'} msg="${ev[0]!.replace(/[\\"]/g, (c) => '\\' + c)}" container=${host}-${unit}`);
          break;
        }
        for (const l of ev) out.push(l);
        break;
      default:
        for (const l of ev) out.push(l);
    }
  });
  return out.join('\n') + '\n';
}
