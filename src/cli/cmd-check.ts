/**
 * `vigil check`: validate configuration (and, later, rule and metrics) files the way
 * `promtool check` does, with file:line:col errors.
 * @module
 */
import { ConfigCheckError, ConfigError, checkConfig, loadConfigFile } from '../config/index.js';
import { FlagError, bool, formatFlagHelp, parseFlags } from './flags.js';
import type { FlagSpec } from './flags.js';

const CONFIG_FLAGS: readonly FlagSpec[] = [
  { name: 'syntax-only', kind: 'bool', default: false, help: 'Only check the config syntax, ignoring file paths and scraped files.' },
  { name: 'help', kind: 'bool', default: false, help: 'Show this help.' },
];

const USAGE = `Usage: vigil check config [flags] FILE…

  config FILE…   check Prometheus-format configuration files (as promtool check config)
`;

/** runCheck runs `vigil check …` and resolves to the exit code: 0 all good, 1 a check failed, 2 usage. */
export async function runCheck(argv: readonly string[]): Promise<number> {
  const [what, ...rest] = argv;
  switch (what) {
    case 'config':
      return checkConfigFiles(rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return what === undefined ? 2 : 0;
    default:
      process.stderr.write(`vigil check: unknown check ${JSON.stringify(what)}\n\n${USAGE}`);
      return 2;
  }
}

async function checkConfigFiles(argv: readonly string[]): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv, CONFIG_FLAGS);
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`vigil check config: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (bool(flags, 'help')) {
    process.stdout.write(`Usage: vigil check config [flags] FILE…\n\n${formatFlagHelp(CONFIG_FLAGS)}`);
    return 0;
  }
  if (flags.args.length === 0) {
    process.stderr.write('vigil check config: no config files given\n');
    return 2;
  }
  const syntaxOnly = bool(flags, 'syntax-only');
  let failed = false;
  for (const file of flags.args) {
    process.stdout.write(`Checking ${file}\n`);
    try {
      const cfg = await loadConfigFile(file);
      const res = await checkConfig(cfg, { syntaxOnly });
      for (const w of res.warnings) process.stdout.write(`  WARNING: ${w}\n`);
      process.stdout.write(syntaxOnly ? ` SUCCESS: ${file} is valid prometheus config file syntax\n` : ` SUCCESS: ${res.ruleFiles.length} rule files found\n`);
      for (const rf of res.ruleFiles) process.stdout.write(`  ${rf}\n`);
    } catch (e) {
      if (e instanceof ConfigError || e instanceof ConfigCheckError) {
        process.stderr.write(`  FAILED: ${e.message}\n`);
        failed = true;
      } else {
        throw e;
      }
    }
    process.stdout.write('\n');
  }
  return failed ? 1 : 0;
}
