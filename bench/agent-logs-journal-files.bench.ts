// The journal file reader's cost per entry, by stage, on a journal file of N entries with the
// fields journald gives a stdout line (about twenty): reading and merging (JournalFilesReader,
// export records out), with a field match, and then decoded as the agent ships them
// (JournalExportReader); beside it, `journalctl -o export` over the same file.
//
//   npx tsx bench/agent-logs-journal-files.bench.ts DIR   (DIR holds the journal files)
import { execFileSync } from 'node:child_process';
import { JournalEntryEncoder, JournalExportReader, JournalFilesReader, JournalMatch, type JournalExportEntry } from '../src/agent/journald/index.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: agent-logs-journal-files.bench.ts DIR');

function run(label: string, match: JournalMatch | undefined, decode: boolean | 'encoder'): void {
  const best: number[] = [];
  let n = 0;
  for (let rep = 0; rep < 5; rep++) {
    const r = new JournalFilesReader({ roots: [{ path: dir! }], ...(match === undefined ? {} : { match }) });
    const x = new JournalExportReader();
    let sink = 0;
    const t0 = process.cpuUsage();
    r.scan();
    r.seekHead();
    n = 0;
    if (decode === 'encoder') {
      const enc = new JournalEntryEncoder();
      const e = {} as JournalExportEntry;
      while (r.next()) {
        n++;
        if (enc.encode(r.currentEntry, r.currentData, r.currentCount, e)) sink += e.line.length;
      }
    } else {
      for (;;) {
        const k = r.read(1000);
        n += k;
        if (decode && k > 0) x.write(r.output, 0, (e) => (sink += e.line.length));
        if (r.exhausted) break;
      }
    }
    const t = process.cpuUsage(t0);
    r.close();
    best.push((t.user + t.system) / n);
  }
  best.sort((a, b) => a - b);
  process.stdout.write(`  ${label.padEnd(44)} ${n} entries, ${best[0]!.toFixed(2)} µs CPU per entry (median ${best[2]!.toFixed(2)})\n`);
}

process.stdout.write(`journal file reader over ${dir}\n`);
run('read + export records', undefined, false);
run('read + export records, match SYSLOG_IDENTIFIER', JournalMatch.compile([], ['SYSLOG_IDENTIFIER=bench']), false);
run('read + export + JournalExportReader', undefined, true);
run('same, with the match', JournalMatch.compile([], ['SYSLOG_IDENTIFIER=bench']), true);
run('read + JournalEntryEncoder (the agent)', undefined, 'encoder');
run('same, with the match', JournalMatch.compile([], ['SYSLOG_IDENTIFIER=bench']), 'encoder');
const t0 = performance.now();
const c0 = process.cpuUsage();
execFileSync('sh', ['-c', `journalctl --directory=${dir} -o export --no-pager >/dev/null`]);
void c0;
const wall = performance.now() - t0;
const lines = Number(execFileSync('sh', ['-c', `journalctl --directory=${dir} -q --no-pager -o cat | wc -l`], { encoding: 'utf8' }));
process.stdout.write(`  ${'journalctl -o export (wall, one process)'.padEnd(44)} ${lines} entries, ${((wall * 1000) / lines).toFixed(2)} µs per entry\n`);
