/**
 * File tailing: globs, rotation by rename and by copytruncate, offset + inode + fingerprint
 * checkpoints, partial last lines held until complete, positions handed to the shipper.
 * @module
 */
export { GlobError, TailOptionError } from './errors.js';
export { FINGERPRINT_BYTES, MIN_MATCH_BYTES, fingerprint, isPosition } from './file-fingerprint.js';
export type { FilePosition } from './file-fingerprint.js';
export { FileTailer } from './file-tailer.js';
export type { FileTailerOptions } from './file-tailer.js';
export { Glob, expandBraces, hasMagic, matchSegment } from './glob.js';
export { TailedFile } from './tailed-file.js';
export type { TailedFileOptions } from './tailed-file.js';
