/**
 * `vigil tsdb`: inspect and backfill TSDB data, with promtool's subcommands, flags and output
 * layout: `list`, `analyze`, `dump`, `create-blocks-from openmetrics`.
 * @module
 */
import { mkdir, open } from 'node:fs/promises';
import { once } from 'node:events';
import { MatchType, Matcher } from '../model/index.js';
import { parseMetricSelector } from '../promql/parser/index.js';
import { MergeSeriesSet, type SeriesSet } from '../storage/index.js';
import { EntryKind, OpenMetricsParser, ParseError } from '../textparse/index.js';
import { Backfiller, Block, analyzeBlock, blockTable, dumpSeriesSet, openBlocks } from '../tsdb/index.js';
import { FlagError, bool, formatFlagHelp, parseFlags, str, type FlagSpec } from './flags.js';

const INT64_MIN = '-9223372036854775808';
const INT64_MAX = '9223372036854775807';

const USAGE = `usage: vigil tsdb <command> [<flags>] [<args> ...]

Commands:
  list [<flags>] [<db path>]                 List tsdb blocks.
  analyze [<flags>] [<db path>] [<block id>] Analyze churn, label pair cardinality and compaction efficiency.
  dump [<flags>] [<db path>]                 Dump samples from a TSDB.
  create-blocks-from openmetrics [<flags>] <input file> [<output directory>]
                                             Import samples from OpenMetrics input and produce TSDB blocks.
`;

/** runTsdb runs `vigil tsdb …` and resolves to the exit code. */
export async function runTsdb(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'list':
        return await runList(rest);
      case 'analyze':
        return await runAnalyze(rest);
      case 'dump':
        return await runDump(rest);
      case 'create-blocks-from':
        return await runCreateBlocks(rest);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        await out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        process.stderr.write(`vigil tsdb: unknown command "${cmd}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof FlagError) throw e;
    process.stderr.write(`${(e as Error).message}\n`);
    return 1;
  }
}

async function out(s: string): Promise<void> {
  if (!process.stdout.write(s)) await once(process.stdout, 'drain');
}

function helpRequested(argv: readonly string[], specs: readonly FlagSpec[], usage: string): boolean {
  if (!argv.includes('--help') && !argv.includes('-h')) return false;
  process.stdout.write(`${usage}\n\nFlags:\n${formatFlagHelp(specs)}\n`);
  return true;
}

const HUMAN: FlagSpec[] = [
  { name: 'human-readable', kind: 'bool', help: 'Print human readable values.' },
  { name: 'r', kind: 'bool', help: 'Short for --human-readable.' },
];

async function openDir(path: string): Promise<Block[]> {
  const { blocks, errors } = await openBlocks(path);
  for (const e of errors) process.stderr.write(`skipping block ${e.dir}: ${e.error.message}\n`);
  return blocks;
}

async function closeAll(blocks: readonly Block[]): Promise<void> {
  for (const b of blocks) await b.close();
}

async function runList(argv: readonly string[]): Promise<number> {
  if (helpRequested(argv, HUMAN, 'usage: vigil tsdb list [<flags>] [<db path>]')) return 0;
  const f = parseFlags(argv, HUMAN);
  const blocks = await openDir(f.args[0] ?? 'data/');
  try {
    await out(blockTable(blocks, { humanReadable: bool(f, 'human-readable') || bool(f, 'r') }));
  } finally {
    await closeAll(blocks);
  }
  return 0;
}

const ANALYZE: FlagSpec[] = [
  { name: 'limit', kind: 'string', default: '20', help: 'How many items to show in each list.' },
  { name: 'extended', kind: 'bool', help: 'Run extended analysis.' },
];

async function runAnalyze(argv: readonly string[]): Promise<number> {
  if (helpRequested(argv, ANALYZE, 'usage: vigil tsdb analyze [<flags>] [<db path>] [<block id>]')) return 0;
  const f = parseFlags(argv, ANALYZE);
  const limit = Number(str(f, 'limit'));
  if (!Number.isInteger(limit)) throw new FlagError(`flag --limit expects an integer, got "${str(f, 'limit')}"`);
  const id = f.args[1] ?? '';
  const blocks = await openDir(f.args[0] ?? 'data/');
  try {
    const block = id === '' ? blocks[blocks.length - 1] : blocks.find((b) => b.ulid === id);
    if (block === undefined) throw new Error(`block ${id} not found`);
    await out(analyzeBlock(block, { limit, extended: bool(f, 'extended') }));
  } finally {
    await closeAll(blocks);
  }
  return 0;
}

const DUMP: FlagSpec[] = [
  { name: 'min-time', kind: 'string', default: INT64_MIN, help: 'Minimum timestamp to dump.' },
  { name: 'max-time', kind: 'string', default: INT64_MAX, help: 'Maximum timestamp to dump.' },
  { name: 'match', kind: 'string', default: "{__name__=~'(?s:.*)'}", help: 'Series selector.' },
];

function parseTime(f: ReturnType<typeof parseFlags>, name: string): number {
  const s = str(f, name);
  if (s === INT64_MIN) return -Infinity;
  if (s === INT64_MAX) return Infinity;
  if (!/^-?\d+$/.test(s)) throw new FlagError(`flag --${name} expects an integer timestamp in ms, got "${s}"`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) return n < 0 ? -Infinity : Infinity;
  return n;
}

async function runDump(argv: readonly string[]): Promise<number> {
  if (helpRequested(argv, DUMP, 'usage: vigil tsdb dump [<flags>] [<db path>]')) return 0;
  const f = parseFlags(argv, DUMP);
  const mint = parseTime(f, 'min-time');
  const maxt = parseTime(f, 'max-time');
  let matchers: readonly Matcher[];
  try {
    matchers = parseSelector(str(f, 'match'));
  } catch (e) {
    throw new FlagError(`flag --match: ${(e as Error).message}`);
  }
  if (matchers.length === 0) matchers = [new Matcher(MatchType.Regexp, '__name__', '(?s:.*)')];
  const blocks = await openDir(f.args[0] ?? 'data/');
  const queriers = blocks.filter((b) => b.overlapsClosedInterval(mint, maxt)).map((b) => b.querier(mint, maxt));
  try {
    const sets: SeriesSet[] = queriers.map((q) => q.selectSync(matchers));
    await dumpSeriesSet(sets.length === 1 ? sets[0]! : new MergeSeriesSet(sets), out);
  } finally {
    for (const q of queriers) await q.close();
    await closeAll(blocks);
  }
  return 0;
}

/** parseSelector parses a series selector as promtool's --match does (all-empty matchers allowed). */
function parseSelector(input: string): readonly Matcher[] {
  return parseMetricSelector(input);
}

const CREATE: FlagSpec[] = [
  ...HUMAN,
  { name: 'quiet', kind: 'bool', help: 'Do not print created blocks.' },
  { name: 'q', kind: 'bool', help: 'Short for --quiet.' },
  { name: 'max-block-duration', kind: 'string', default: '0s', help: 'Maximum duration created blocks may span. Anything less than 2h is ignored.' },
];

async function runCreateBlocks(argv: readonly string[]): Promise<number> {
  const [format, ...rest] = argv;
  const usage = 'usage: vigil tsdb create-blocks-from openmetrics [<flags>] <input file> [<output directory>]';
  if (format !== 'openmetrics') {
    if (format === undefined || format === '--help' || format === '-h') {
      process.stdout.write(`${usage}\n`);
      return format === undefined ? 2 : 0;
    }
    throw new FlagError(`create-blocks-from: unsupported input "${format}" (supported: openmetrics)`);
  }
  if (helpRequested(rest, CREATE, usage)) return 0;
  const f = parseFlags(rest, CREATE);
  const input = f.args[0];
  if (input === undefined) throw new FlagError("required argument 'input file' not provided");
  const outputDir = f.args[1] ?? 'data/';
  const maxBlockDurationMs = parseGoDurationMs(str(f, 'max-block-duration'));
  const human = bool(f, 'human-readable') || bool(f, 'r');
  const quiet = bool(f, 'quiet') || bool(f, 'q');
  await mkdir(outputDir, { recursive: true });
  const bf = new Backfiller({ outputDir, maxBlockDurationMs });
  await readOpenMetricsFile(input, bf);
  let first = true;
  await bf.flush(async (meta) => {
    if (quiet) return;
    const b = await Block.open(`${outputDir}/${meta.ulid}`, { verifyIndex: false });
    try {
      await out(blockTable([b], { header: first, humanReadable: human }));
    } finally {
      await b.close();
    }
    first = false;
  });
  return 0;
}

// parseGoDurationMs parses a Go duration flag value such as `24h`, `90m`, `1h30m`, `0s`.
function parseGoDurationMs(s: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos !== s.length || s === '') throw new FlagError(`flag --max-block-duration: invalid duration "${s}"`);
  return Math.round(total);
}

const PIECE_BYTES = 16 * 1024 * 1024;
const EOF_LINE = Buffer.from('# EOF\n');

/**
 * readOpenMetricsFile streams an OpenMetrics file into the backfiller in pieces cut at line
 * ends (each piece is parsed with a synthetic `# EOF`), so files larger than memory or than a
 * Buffer work. Every sample needs a timestamp. Errors name the file and line.
 */
export async function readOpenMetricsFile(path: string, bf: Backfiller, pieceBytes = PIECE_BYTES): Promise<void> {
  const fh = await open(path, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    let line = 0; // lines before the current piece
    let sawEOF = false;
    let lastRaw: Buffer = Buffer.alloc(0);
    let lastRef = -1;
    for (;;) {
      const chunk = Buffer.allocUnsafe(pieceBytes);
      const { bytesRead } = await fh.read(chunk, 0, pieceBytes, null);
      const data = carry.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      const done = bytesRead === 0;
      const cut = done ? data.length : data.lastIndexOf(0x0a) + 1;
      if (done && data.length === 0) break;
      if (cut <= 0) {
        carry = Buffer.from(data);
        continue;
      }
      const piece = data.subarray(0, cut);
      carry = Buffer.from(data.subarray(cut));
      if (sawEOF && piece.length > 0) throw new Error(`line ${line + 1}: data after "# EOF"`);
      // Does this piece hold the real "# EOF"? Then parse it as is; else add one.
      const eofAt = findEOF(piece);
      let body: Buffer;
      if (eofAt >= 0) {
        sawEOF = true;
        if (eofAt + EOF_LINE.length < piece.length && piece.subarray(eofAt + EOF_LINE.length).some((b) => b !== 0x0a)) {
          body = piece; // let the parser report the trailing data
        } else body = piece.subarray(0, eofAt + EOF_LINE.length);
      } else if (done) {
        body = piece; // no "# EOF": the parser reports it
      } else {
        body = Buffer.concat([piece, EOF_LINE]);
      }
      const p = new OpenMetricsParser(body);
      try {
        for (let e = p.next(); e !== EntryKind.EOF; e = p.next()) {
          if (e !== EntryKind.Series) continue;
          const s = p.seriesStart();
          const en = p.seriesEnd();
          let ref = lastRef;
          if (lastRef < 0 || en - s !== lastRaw.length || body.compare(lastRaw, 0, lastRaw.length, s, en) !== 0) {
            const labels = p.labels();
            if (!p.hasTimestamp()) throw new Error(`expected timestamp for series ${labels.toString()}, got none`);
            ref = bf.seriesRef(labels);
            lastRaw = Buffer.from(body.subarray(s, en));
            lastRef = ref;
          } else if (!p.hasTimestamp()) {
            throw new Error(`expected timestamp for series ${p.labels().toString()}, got none`);
          }
          bf.append(ref, p.timestamp(), p.value());
        }
      } catch (e) {
        if (e instanceof ParseError) throw new Error(`${path}:${line + e.line}:${e.column}: ${e.detail}`, { cause: e });
        const at = p.entryOffset();
        const ln = line + countLines(body, at) + 1;
        throw new Error(`${path}:${ln}: ${(e as Error).message}`, { cause: e });
      }
      line += countLines(piece, piece.length);
      if (done || sawEOF) {
        const tail = Buffer.alloc(4096);
        const { bytesRead: more } = done ? { bytesRead: 0 } : await fh.read(tail, 0, tail.length, null);
        if (carry.some((b) => b !== 0x0a) || tail.subarray(0, more).some((b) => b !== 0x0a)) {
          throw new Error(`${path}:${line + 1}: data after "# EOF"`);
        }
        break;
      }
    }
    if (!sawEOF) throw new Error(`${path}: data does not end with "# EOF"`);
  } finally {
    await fh.close();
  }
}

function findEOF(b: Buffer): number {
  let from = 0;
  for (;;) {
    const i = b.indexOf('# EOF', from);
    if (i < 0) return -1;
    if ((i === 0 || b[i - 1] === 0x0a) && (i + 5 === b.length || b[i + 5] === 0x0a)) return i;
    from = i + 1;
  }
}

function countLines(b: Buffer, end: number): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0 && i < end; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}
