/**
 * Byte-level encodings shared by the TSDB, the WAL and the log store: CRC-32C, varints, bit
 * streams, big-endian buffers and UTF-8 helpers. Imports nothing of vigil.
 * @module
 */
export { crc32c } from './crc32c.js';
export { putUvarint, putVarint, readUvarint, readVarint, uvarintSize, VarintError } from './varint.js';
export type { Cursor } from './varint.js';
export { BitReader, BitWriter, peekBits } from './bstream.js';
export { EncBuf, readBE32, writeBE32 } from './enc-buf.js';
export { DecBuf } from './dec-buf.js';
export { ChecksumError, DecodeError } from './errors.js';
export { decodeUtf8, encodeUtf8Into, utf8Length } from './utf8.js';
