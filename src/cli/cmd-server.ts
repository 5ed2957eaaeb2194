/**
 * `vigil server` and `vigil up`: parse flags, build the server, run until a signal.
 * SIGTERM/SIGINT stop gracefully; SIGHUP reloads the configuration.
 * @module
 */
import { formatFlagHelp, parseFlags } from './flags.js';
import { SERVER_FLAGS, serverOptions } from './server-flags.js';
import { buildServer } from './server-app.js';

async function run(argv: readonly string[], mode: 'server' | 'up'): Promise<number> {
  const f = parseFlags(argv, SERVER_FLAGS);
  if (f.values.get('help') === true) {
    process.stdout.write(
      `Usage: vigil ${mode} [flags]\n\n` +
        (mode === 'up'
          ? 'Runs the server and the node agent in one process with embedded storage.\n\n'
          : 'Runs the central server: scrape, TSDB, PromQL, log gateway and store, HTTP APIs.\n\n') +
        `Flags:\n${formatFlagHelp(SERVER_FLAGS)}\n`,
    );
    return 0;
  }
  const opts = serverOptions(f);
  const flagValues: Record<string, string> = {};
  for (const spec of SERVER_FLAGS) {
    if (spec.name === 'help') continue;
    const v = f.values.get(spec.name);
    flagValues[spec.name] = v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v);
  }
  const app = await buildServer(opts, mode, flagValues);
  const ac = new AbortController();
  const onStop = (): void => {
    app.log.info('received termination signal, stopping');
    ac.abort();
  };
  const onHup = (): void => {
    app.reload().catch((e: unknown) => app.log.error('reload failed', { err: e instanceof Error ? e.message : String(e) }));
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHup);
  try {
    await app.run(ac.signal);
  } finally {
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off('SIGHUP', onHup);
  }
  return 0;
}

/** runServer implements `vigil server`. */
export function runServer(argv: readonly string[]): Promise<number> {
  return run(argv, 'server');
}

/** runUp implements `vigil up`. */
export function runUp(argv: readonly string[]): Promise<number> {
  return run(argv, 'up');
}
