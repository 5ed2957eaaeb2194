/**
 * File identity for the tailer: device and inode name a file while it exists; a fingerprint
 * (a hash of its first bytes) tells whether a file found at a known inode is still the one
 * read before (inodes are reused) and recognizes a copy of it (copytruncate rotation).
 * @module
 */
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';

/** FINGERPRINT_BYTES is how many leading bytes the fingerprint covers once a file has them. */
export const FINGERPRINT_BYTES = 1024;
/** MIN_MATCH_BYTES is the shortest fingerprint trusted to recognize a copy of a file. */
export const MIN_MATCH_BYTES = 64;

/** FilePosition is a tailed file's checkpoint: everything before `off` has been handed over. */
export interface FilePosition {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly off: number;
  /** Hash of the first fpLen bytes ('' when the file was empty). */
  readonly fp: string;
  readonly fpLen: number;
}

const scratch = Buffer.allocUnsafe(FINGERPRINT_BYTES);

/** fingerprint hashes the first `len` bytes of an open file; undefined when it is shorter. */
export function fingerprint(fd: number, len: number): string | undefined {
  if (len === 0) return '';
  let got = 0;
  while (got < len) {
    const n = readSync(fd, scratch, got, len - got, got);
    if (n === 0) return undefined;
    got += n;
  }
  return createHash('sha256').update(scratch.subarray(0, len)).digest('hex').slice(0, 32);
}

/** isPosition tells whether a stored value has the shape of a FilePosition. */
export function isPosition(v: unknown): v is FilePosition {
  if (v === null || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  return typeof p.path === 'string' && typeof p.off === 'number' && typeof p.fp === 'string' && typeof p.fpLen === 'number' && typeof p.ino === 'number' && typeof p.dev === 'number';
}
