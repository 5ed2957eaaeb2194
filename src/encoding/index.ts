/**
 * Byte-level encodings shared by the TSDB, the WAL and the log store: CRC-32C, varints and
 * bit streams. Imports nothing of vigil.
 * @module
 */
export { crc32c } from './crc32c.js';
export { putUvarint, putVarint, readUvarint, readVarint, uvarintSize, VarintError } from './varint.js';
export type { Cursor } from './varint.js';
export { BitReader, BitWriter } from './bstream.js';
