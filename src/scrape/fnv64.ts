/**
 * 64-bit FNV-1a, the hash Prometheus uses for a target's scrape phase and a server's jitter seed.
 * @module
 */

const OFFSET_BASIS = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/** fnv64a hashes bytes (a string is hashed as its UTF-8 encoding) with 64-bit FNV-1a, as an unsigned bigint. */
export function fnv64a(input: string | Uint8Array): bigint {
  const b = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let h = OFFSET_BASIS;
  for (let i = 0; i < b.length; i++) h = ((h ^ BigInt(b[i]!)) * PRIME) & MASK;
  return h;
}
