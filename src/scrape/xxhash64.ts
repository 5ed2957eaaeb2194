/**
 * XXH64 (seed 0 by default), the hash Prometheus gives a label set; written from the published
 * algorithm description. BigInt arithmetic: used once per target, not per sample.
 * @module
 */

const MASK = 0xffffffffffffffffn;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK;
const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK;

function round(acc: bigint, lane: bigint): bigint {
  return mul(rotl((acc + mul(lane, P2)) & MASK, 31n), P1);
}

function merge(acc: bigint, v: bigint): bigint {
  return (mul(acc ^ round(0n, v), P1) + P4) & MASK;
}

/** xxhash64 hashes bytes (a string is hashed as its UTF-8 encoding) with XXH64, returning an unsigned bigint. */
export function xxhash64(input: string | Uint8Array, seed = 0n): bigint {
  const b = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const n = b.length;
  const s = seed & MASK;
  let p = 0;
  let h: bigint;
  if (n >= 32) {
    let v1 = (s + P1 + P2) & MASK;
    let v2 = (s + P2) & MASK;
    let v3 = s;
    let v4 = (s - P1) & MASK;
    for (; p + 32 <= n; p += 32) {
      v1 = round(v1, b.readBigUInt64LE(p));
      v2 = round(v2, b.readBigUInt64LE(p + 8));
      v3 = round(v3, b.readBigUInt64LE(p + 16));
      v4 = round(v4, b.readBigUInt64LE(p + 24));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
    h = merge(h, v1);
    h = merge(h, v2);
    h = merge(h, v3);
    h = merge(h, v4);
  } else {
    h = (s + P5) & MASK;
  }
  h = (h + BigInt(n)) & MASK;
  for (; p + 8 <= n; p += 8) {
    h ^= round(0n, b.readBigUInt64LE(p));
    h = (mul(rotl(h, 27n), P1) + P4) & MASK;
  }
  if (p + 4 <= n) {
    h ^= mul(BigInt(b.readUInt32LE(p)), P1);
    h = (mul(rotl(h, 23n), P2) + P3) & MASK;
    p += 4;
  }
  for (; p < n; p++) {
    h ^= mul(BigInt(b[p]!), P5);
    h = mul(rotl(h, 11n), P1);
  }
  h ^= h >> 33n;
  h = mul(h, P2);
  h ^= h >> 29n;
  h = mul(h, P3);
  h ^= h >> 32n;
  return h;
}
