/**
 * WAL segment files: names, constants and directory listing.
 *
 * A WAL directory holds segment files named by an eight-digit sequence number (`00000000`,
 * `00000001`, …), as Prometheus writes them, and optionally `checkpoint.NNNNNNNN` directories.
 * @module
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentListError } from './errors.js';

/** PAGE_SIZE is the WAL page size: fragments never cross a 32 KiB page boundary. */
export const PAGE_SIZE = 32 * 1024;
/** RECORD_HEADER_SIZE is the fragment header: type (1 byte), length (2), CRC-32C (4). */
export const RECORD_HEADER_SIZE = 7;
/** DEFAULT_SEGMENT_SIZE is Prometheus's default segment size, 128 MiB. */
export const DEFAULT_SEGMENT_SIZE = 128 * 1024 * 1024;

/** FragmentType names the fragment kinds held in the low three bits of a fragment's type byte. */
export const FragmentType = { PageTerm: 0, Full: 1, First: 2, Middle: 3, Last: 4 } as const;
/** Flag bit of a fragment's type byte: the record is snappy-compressed. */
export const SNAPPY_FLAG = 0x08;
/** Flag bit of a fragment's type byte: the record is zstd-compressed (read: unsupported). */
export const ZSTD_FLAG = 0x10;

/** SegmentRef names one segment file of a directory. */
export interface SegmentRef {
  /** Sequence number. */
  readonly index: number;
  /** Absolute or dir-relative path of the file. */
  readonly path: string;
}

const SEGMENT_RE = /^\d+$/;

/** segmentName returns the file name of segment `index` (eight digits, zero padded). */
export function segmentName(index: number): string {
  return String(index).padStart(8, '0');
}

/**
 * listSegments returns the segment files of `dir` in order. Throws SegmentListError when the
 * numbers are not contiguous (a missing middle segment), as Prometheus refuses such a WAL.
 * A missing directory yields no segments.
 */
export function listSegments(dir: string): SegmentRef[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: SegmentRef[] = [];
  for (const n of names) {
    if (!SEGMENT_RE.test(n)) continue;
    const p = join(dir, n);
    if (!statSync(p).isFile()) continue;
    out.push({ index: Number(n), path: p });
  }
  out.sort((a, b) => a.index - b.index);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.index !== out[i - 1]!.index + 1) {
      throw new SegmentListError(dir, `segments are not sequential: ${out[i - 1]!.index} is followed by ${out[i]!.index}`);
    }
  }
  return out;
}

/** segmentRange returns the first and last segment numbers of `dir`, or undefined when it has none. */
export function segmentRange(dir: string): { first: number; last: number } | undefined {
  const s = listSegments(dir);
  if (s.length === 0) return undefined;
  return { first: s[0]!.index, last: s[s.length - 1]!.index };
}
