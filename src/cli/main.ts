/**
 * The `vigil` command: subcommand dispatch. This is the composition root; each subcommand
 * wires engines together in its own file.
 * @module
 */
import { keepOldGenerationTight, keepYoungGenerationSmall } from './agent-heap.js';
import { FlagError } from './flags.js';
import { VERSION } from './version.js';

/** Command is one subcommand. */
interface Command {
  readonly name: string;
  readonly summary: string;
  run(argv: readonly string[]): Promise<number>;
}

const COMMANDS: readonly Command[] = [
  { name: 'up', summary: 'server and agent in one process: the embedded default for one machine', run: lazy('./cmd-server.js', 'runUp') },
  { name: 'server', summary: 'central server: scrape, TSDB, PromQL, log gateway and store, HTTP APIs', run: lazy('./cmd-server.js', 'runServer') },
  { name: 'agent', summary: 'node agent: host and container metrics, events, logs; ships to a server', run: (argv) => (keepYoungGenerationSmall(), keepOldGenerationTight(), lazy('./cmd-agent.js', 'runAgent')(argv)) },
  { name: 'query', summary: 'run a PromQL query against a server or a data directory', run: lazy('./cmd-query.js', 'runQuery') },
  { name: 'logs', summary: 'run a LogQL query or follow logs, against a server or a data directory', run: lazy('./cmd-logs.js', 'runLogs') },
  { name: 'check', summary: 'check Prometheus-format configuration files as promtool does (check config)', run: lazy('./cmd-check.js', 'runCheck') },
  { name: 'tsdb', summary: 'inspect and backfill TSDB data (tsdb analyze|dump|create-blocks-from)', run: lazy('./cmd-tsdb.js', 'runTsdb') },
  { name: 'version', summary: 'print the version', run: async () => (process.stdout.write(`vigil ${VERSION}\n`), 0) },
];

function lazy(path: string, fn: string): (argv: readonly string[]) => Promise<number> {
  return async (argv) => {
    const mod = (await import(path)) as Record<string, (a: readonly string[]) => Promise<number>>;
    const f = mod[fn];
    if (typeof f !== 'function') throw new Error(`internal: ${path} has no ${fn}`);
    return f(argv);
  };
}

/** usage returns the top-level help text. */
export function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 4;
  return [
    `vigil ${VERSION}: observability for container clusters (metrics, logs, events, alerts).`,
    '',
    'Usage: vigil <command> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
    '',
    'Run `vigil <command> --help` for the flags of a command.',
    '',
  ].join('\n');
}

/** main runs the CLI and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') return COMMANDS.find((c) => c.name === 'version')!.run([]);
  const cmd = COMMANDS.find((c) => c.name === name);
  if (cmd === undefined) {
    process.stderr.write(`vigil: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`vigil ${name}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
