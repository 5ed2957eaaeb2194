/**
 * V8 heap settings for the standalone node agent (`vigil agent`), applied before its modules
 * load.
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
 * (with `--max-semi-space-size=1`, the start-up equivalent). An operator's own semi-space flag
 * (node flags or NODE_OPTIONS) is left alone; VIGIL_AGENT_V8_DEFAULTS=1 keeps V8's defaults.
 */
export function keepYoungGenerationSmall(): boolean {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => /semi[-_]space/.test(a));
  if (given || process.env.VIGIL_AGENT_V8_DEFAULTS === '1') return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}
