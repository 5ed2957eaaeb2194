// What the benches' counting servers answer and count for the agent's log batches, as vigil's
// gateway would: the Vigil-Logs-Features it announces (BENCH_LOGS_FEATURES, default `defaults`;
// empty answers like a gateway from before them), and the entries of an NDJSON body (lines that
// are not `defaults` lines).

/** LOGS_FEATURES is the Vigil-Logs-Features answer header of the benches' counting servers. */
export const LOGS_FEATURES = process.env.BENCH_LOGS_FEATURES ?? 'defaults';

const DEFAULTS = Buffer.from('{"defaults":');

/** countEntries counts the newline-terminated lines of an NDJSON body that are entries. */
export function countEntries(body: Buffer): number {
  let n = 0;
  for (let a = 0, b = body.indexOf(10); b >= 0; a = b + 1, b = body.indexOf(10, a)) {
    if (!(body[a] === 0x7b && body.compare(DEFAULTS, 0, DEFAULTS.length, a, Math.min(a + DEFAULTS.length, b)) === 0)) n++;
  }
  return n;
}
