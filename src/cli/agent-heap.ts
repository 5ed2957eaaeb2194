/**
 * V8 heap settings for the standalone node agent (`vigil agent`), applied before its modules
 * load. An operator's own setting of the same flag (node flags or NODE_OPTIONS) is left alone;
 * VIGIL_AGENT_V8_DEFAULTS=1 keeps V8's defaults for all of them.
 * @module
 */
import { setFlagsFromString } from 'node:v8';

/**
 * keepYoungGenerationSmall stops V8's young generation from growing past its initial size.
 * Under the agent's steady trickle of short-lived objects (a collection cycle every 10 s, log
 * lines every few ms) V8 grows the semi-spaces to 16 MiB each and keeps them: about 40 MB of
 * RSS for a heap that holds 20 MB. The semi-space growth factor is the one young-generation
 * setting V8 reads after start-up (the size limits are fixed when the isolate is made), so it
 * is set here, before the agent's modules are loaded (loading them grows the space). Measured
 * with bench/agent-load.bench.ts: RSS 131–133 → 87 MB and CPU 6.1–6.6 → 5.0–5.6 % of one core
 * (with `--max-semi-space-size=1`, the start-up equivalent).
 */
export function keepYoungGenerationSmall(): boolean {
  return setUnlessGiven(/semi[-_]space/, '--semi-space-growth-factor=1');
}

/**
 * keepOldGenerationTight lets the old generation grow 50 % past what the last full collection
 * kept before the next one (V8 picks a factor of 1.1 to 4 by the collection's speed, and with
 * the agent's small heap it picks a large one). The agent's old generation holds about 15 MB
 * and gains 50–100 KB/s of promoted objects and the buffers they hold, so with V8's factor it
 * sat anywhere between 17 and 28 MB (plus 7 to 15 MB of external buffers) depending on when the
 * last full collection ran. Measured with bench/agent-load.bench.ts (two pairs): RSS 83.0/82.8
 * → 73.4/73.5 MB, CPU 2.96/2.96 → 3.08/2.90 % of one core (20 % kept RSS at 72.5–73 MB but cost
 * 0.2 % of a core). V8 reads the factor at every full collection, so setting it at run time
 * works; node takes the flag on its command line only (not in NODE_OPTIONS).
 */
export function keepOldGenerationTight(): boolean {
  return setUnlessGiven(/heap[-_]growing/, '--heap-growing-percent=50');
}

function setUnlessGiven(pattern: RegExp, flag: string): boolean {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => pattern.test(a));
  if (given || process.env.VIGIL_AGENT_V8_DEFAULTS === '1') return false;
  setFlagsFromString(flag);
  return true;
}
