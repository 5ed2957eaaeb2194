/**
 * Staleness markers: Prometheus's special NaN that ends a series.
 *
 * The marker is the NaN with bit pattern 0x7ff0000000000002. Ordinary NaNs produced by
 * arithmetic (0x7ff8000000000001 in Go, 0x7ff8000000000000 in V8) are different values, so the
 * bits must be compared, never the number.
 * @module
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Little-endian hosts keep the low word first; detect it rather than assume.
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/** STALE_NAN_HI and STALE_NAN_LO are the two 32-bit halves of the staleness marker. */
export const STALE_NAN_HI = 0x7ff00000;
/** Low 32 bits of the staleness marker. */
export const STALE_NAN_LO = 0x00000002;

u32[HI] = STALE_NAN_HI;
u32[LO] = STALE_NAN_LO;
/** STALE_NAN is the staleness marker as a JS number (its bits survive typed-array storage). */
export const STALE_NAN: number = f64[0]!;

/** isStaleNaN tells whether v carries the staleness marker's exact bits. */
export function isStaleNaN(v: number): boolean {
  if (v === v) return false; // not NaN at all: the common case, no memory traffic
  f64[0] = v;
  return u32[HI] === STALE_NAN_HI && u32[LO] === STALE_NAN_LO;
}
