/**
 * Log levels: the small vocabulary vigil stores in the `level` label, and the mappings from
 * the words, numbers and syslog severities that loggers write.
 * @module
 */

/**
 * Level is the normalized severity of a log line, as Grafana colours it: `critical` covers
 * emerg/alert/crit/fatal/panic, `info` covers notice.
 */
export const Level = {
  Critical: 'critical',
  Error: 'error',
  Warn: 'warn',
  Info: 'info',
  Debug: 'debug',
  Trace: 'trace',
} as const;

/** Level is one of the values of the `Level` object. */
export type Level = (typeof Level)[keyof typeof Level];

/** SYSLOG_SEVERITY_NAMES are the RFC 5424 severity keywords, indexed by severity code 0–7. */
export const SYSLOG_SEVERITY_NAMES: readonly string[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

/** SYSLOG_FACILITY_NAMES are the RFC 5424 facility keywords (as rsyslog prints them), indexed by facility code 0–23. */
export const SYSLOG_FACILITY_NAMES: readonly string[] = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5',
  'local6', 'local7',
];

const SEVERITY_LEVELS: readonly Level[] = ['critical', 'critical', 'critical', 'error', 'warn', 'info', 'info', 'debug'];

/** levelFromSeverity maps a syslog/journald severity code (0–7) to a Level, or '' when out of range. */
export function levelFromSeverity(code: number): Level | '' {
  return SEVERITY_LEVELS[code] ?? '';
}

// Every spelling loggers commonly use, lower-cased. Looked up after lower-casing the input.
const WORDS: ReadonlyMap<string, Level> = new Map<string, Level>([
  ['emerg', 'critical'], ['emergency', 'critical'], ['alert', 'critical'], ['crit', 'critical'],
  ['critical', 'critical'], ['fatal', 'critical'], ['panic', 'critical'], ['dpanic', 'critical'],
  ['severe', 'error'], ['err', 'error'], ['eror', 'error'], ['error', 'error'],
  ['warn', 'warn'], ['warning', 'warn'], ['wrn', 'warn'],
  ['info', 'info'], ['inf', 'info'], ['information', 'info'], ['informational', 'info'], ['notice', 'info'],
  ['debug', 'debug'], ['dbug', 'debug'], ['dbg', 'debug'], ['fine', 'debug'], ['config', 'debug'],
  ['trace', 'trace'], ['trc', 'trace'], ['finer', 'trace'], ['finest', 'trace'], ['verbose', 'trace'],
]);

// The upper-case and capitalized spellings too, so the common cases need no lower-casing.
for (const [w, l] of [...WORDS]) {
  (WORDS as Map<string, Level>).set(w.toUpperCase(), l);
  (WORDS as Map<string, Level>).set(w[0]!.toUpperCase() + w.slice(1), l);
}

/** levelFromWord maps a level word in any letter case (`WARNING`, `err`, `Info`) to a Level, or ''. */
export function levelFromWord(word: string): Level | '' {
  if (word.length === 0 || word.length > 13) return '';
  const direct = WORDS.get(word);
  if (direct !== undefined) return direct;
  return WORDS.get(word.toLowerCase()) ?? '';
}

/**
 * levelFromNumber maps a numeric level: the pino/bunyan scale (10 trace, 20 debug, 30 info,
 * 40 warn, 50 error, 60 fatal), or '' for other numbers.
 */
export function levelFromNumber(n: number): Level | '' {
  if (!Number.isFinite(n) || n < 10) return '';
  if (n < 20) return 'trace';
  if (n < 30) return 'debug';
  if (n < 40) return 'info';
  if (n < 50) return 'warn';
  if (n < 60) return 'error';
  return 'critical';
}
