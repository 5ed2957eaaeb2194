/**
 * Repair of a damaged segment: cut it at the end of its last intact record.
 * @module
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { segmentName } from './segment.js';

/**
 * repairSegment truncates segment `segment` of `dir` to `offset` bytes (the end of its last
 * intact record, as a CorruptionError reports it) and fsyncs it; returns the new size. Later
 * segments are left alone: their records stay readable.
 */
export function repairSegment(dir: string, segment: number, offset: number): number {
  const fd = openSync(join(dir, segmentName(segment)), 'r+');
  try {
    const size = fstatSync(fd).size;
    const to = Math.min(size, Math.max(0, offset));
    ftruncateSync(fd, to);
    fsyncSync(fd);
    return to;
  } finally {
    closeSync(fd);
  }
}
