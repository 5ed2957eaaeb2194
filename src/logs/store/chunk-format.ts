/**
 * The on-disk chunk record: one stream's entries over a time range, as a header (labels, time
 * range, sequence numbers, block table), a token filter and compressed blocks. The layout is
 * drawn in docs/format/logs-chunk.md.
 * @module
 */
import { crc32c, DecBuf, DecodeError, EncBuf, readBE32, writeBE32 } from '../../encoding/index.js';
import { Labels } from '../../model/index.js';

/** The four bytes every chunk record starts with: "VLC1". */
export const CHUNK_MAGIC = 0x564c4331;
/** Bytes before the header: magic, total length, header length. */
export const CHUNK_PREFIX_BYTES = 12;
/** The chunk format version written by this code. */
export const CHUNK_VERSION = 1;
/** Codec ids of the text and fields columns. */
export const Codec = { None: 0, Brotli: 1 } as const;
/** One of the codec ids. */
export type Codec = (typeof Codec)[keyof typeof Codec];

/** BlockMeta locates one block inside a chunk record (offsets from the record's start). */
export interface BlockMeta {
  readonly count: number;
  readonly mint: number;
  readonly maxt: number;
  /** Offset and length of the timestamp column. */
  readonly tsOff: number;
  readonly tsLen: number;
  /** Offset of the text column; the fields column follows it. */
  readonly dataOff: number;
  readonly textLen: number;
  readonly rawTextLen: number;
  readonly fieldsLen: number;
  /** Sum of the block's lines' UTF-8 byte lengths. */
  readonly textBytes: number;
  /** Flags: see BlockFlag. */
  readonly flags: number;
  /** CRC32C of the timestamp column, and of the text and fields columns together. */
  readonly tsCrc: number;
  readonly dataCrc: number;
  /** The JSON field index (after the fields column; 0: none) and its CRC32C. */
  readonly jsonLen: number;
  readonly jsonCrc: number;
}

/** ChunkHeader is everything about a chunk except its filter and block bytes. */
export interface ChunkHeader {
  readonly version: number;
  readonly codec: Codec;
  readonly ref: number;
  readonly labels: Labels;
  /** Sequence number of the chunk's first entry within its stream (for WAL replay). */
  readonly seqStart: number;
  readonly count: number;
  readonly mint: number;
  readonly maxt: number;
  readonly textBytes: number;
  /** Offset of the filter from the record's start, and its length and CRC32C. */
  readonly filterOff: number;
  /** Offset and length of all timestamp columns together (they are contiguous). */
  readonly tsStart: number;
  readonly tsEnd: number;
  readonly filterLen: number;
  readonly filterCrc: number;
  readonly blocks: readonly BlockMeta[];
  /** Length of the whole record. */
  readonly length: number;
}

/** PackedBlock is a block ready to be written: its columns encoded and compressed. */
export interface PackedBlock {
  readonly count: number;
  readonly mint: number;
  readonly maxt: number;
  readonly tsBytes: Uint8Array;
  readonly text: Uint8Array;
  readonly rawTextLen: number;
  readonly fields: Uint8Array | undefined;
  /** Compressed JSON field index (json-index.ts), or undefined. */
  readonly json: Uint8Array | undefined;
  readonly textBytes: number;
  readonly flags: number;
}

/** BlockFlag bits. */
export const BlockFlag = { Escaped: 1, Ascii: 2 } as const;

/**
 * encodeChunk lays out a chunk record. The result is a list of byte arrays to be written in
 * order (the block bytes are not copied).
 */
export function encodeChunk(c: {
  ref: number;
  labels: Labels;
  seqStart: number;
  codec: Codec;
  blocks: readonly PackedBlock[];
  filter: Uint8Array;
}): { parts: Uint8Array[]; length: number } {
  let count = 0;
  let mint = Infinity;
  let maxt = -Infinity;
  let textBytes = 0;
  for (const b of c.blocks) {
    count += b.count;
    textBytes += b.textBytes;
    if (b.mint < mint) mint = b.mint;
    if (b.maxt > maxt) maxt = b.maxt;
  }
  if (c.blocks.length === 0) mint = maxt = 0;
  const h = new EncBuf(256 + c.blocks.length * 32);
  h.putByte(CHUNK_VERSION);
  h.putByte(c.codec);
  h.putUvarint(c.ref);
  h.putUvarint(c.labels.length);
  c.labels.forEach((n, v) => {
    h.putUvarintStr(n);
    h.putUvarintStr(v);
  });
  h.putUvarint(c.seqStart);
  h.putUvarint(count);
  h.putVarint(mint);
  h.putVarint(maxt);
  h.putUvarint(textBytes);
  h.putUvarint(c.filter.length);
  h.putBE32(crc32c(c.filter, 0, c.filter.length));
  h.putUvarint(c.blocks.length);
  for (const b of c.blocks) {
    let dataCrc = crc32c(b.text, 0, b.text.length);
    if (b.fields !== undefined) dataCrc = crc32c(b.fields, 0, b.fields.length, dataCrc);
    h.putUvarint(b.count);
    h.putUvarint(b.mint - mint);
    h.putUvarint(b.maxt - b.mint);
    h.putUvarint(b.tsBytes.length);
    h.putUvarint(b.text.length);
    h.putUvarint(b.rawTextLen);
    h.putUvarint(b.fields?.length ?? 0);
    h.putUvarint(b.textBytes);
    h.putByte(b.flags);
    h.putBE32(crc32c(b.tsBytes, 0, b.tsBytes.length));
    h.putBE32(dataCrc);
    h.putUvarint(b.json?.length ?? 0);
    if (b.json !== undefined) h.putBE32(crc32c(b.json, 0, b.json.length));
  }
  const header = h.get();
  const prefix = new Uint8Array(CHUNK_PREFIX_BYTES);
  const headerCrc = new Uint8Array(4);
  writeBE32(headerCrc, 0, crc32c(header, 0, header.length));
  const parts: Uint8Array[] = [prefix, header.slice(), headerCrc, c.filter];
  for (const b of c.blocks) parts.push(b.tsBytes);
  for (const b of c.blocks) {
    parts.push(b.text);
    if (b.fields !== undefined) parts.push(b.fields);
    if (b.json !== undefined) parts.push(b.json);
  }
  let length = 0;
  for (const p of parts) length += p.length;
  writeBE32(prefix, 0, CHUNK_MAGIC);
  writeBE32(prefix, 4, length);
  writeBE32(prefix, 8, header.length);
  return { parts, length };
}

/**
 * readChunkPrefix reads the fixed prefix at buf[off]: returns the record and header lengths,
 * or throws DecodeError when the magic is wrong or the lengths are impossible.
 */
export function readChunkPrefix(buf: Uint8Array, off: number): { length: number; headerLen: number } {
  if (off + CHUNK_PREFIX_BYTES > buf.length) throw new DecodeError('truncated chunk prefix', off);
  if (readBE32(buf, off) !== CHUNK_MAGIC) throw new DecodeError('bad chunk magic', off);
  const length = readBE32(buf, off + 4);
  const headerLen = readBE32(buf, off + 8);
  if (headerLen + CHUNK_PREFIX_BYTES + 4 > length) throw new DecodeError(`chunk header length ${headerLen} exceeds record length ${length}`, off);
  return { length, headerLen };
}

/**
 * decodeChunkHeader decodes the header in buf[off + 12 : off + 12 + headerLen] and checks its
 * CRC (the 4 bytes after it). Throws DecodeError/ChecksumError on bad bytes.
 */
export function decodeChunkHeader(buf: Uint8Array, off: number, length: number, headerLen: number): ChunkHeader {
  const start = off + CHUNK_PREFIX_BYTES;
  const end = start + headerLen;
  if (end + 4 > buf.length) throw new DecodeError('truncated chunk header', start);
  const want = readBE32(buf, end);
  const got = crc32c(buf, start, end);
  if (want !== got) throw new DecodeError(`chunk header checksum mismatch (stored ${want.toString(16)}, computed ${got.toString(16)})`, start);
  const d = new DecBuf(buf, start, end);
  const version = d.byte();
  if (version !== CHUNK_VERSION) throw new DecodeError(`unsupported chunk version ${version}`, start);
  const codec = d.byte();
  if (codec !== Codec.None && codec !== Codec.Brotli) throw new DecodeError(`unknown chunk codec ${codec}`, start + 1);
  const ref = d.uvarint();
  const nl = d.uvarint();
  const nv: string[] = [];
  for (let i = 0; i < nl; i++) nv.push(d.uvarintStr(), d.uvarintStr());
  const labels = Labels.fromStrings(...nv);
  const seqStart = d.uvarint();
  const count = d.uvarint();
  const mint = d.varint();
  const maxt = d.varint();
  const textBytes = d.uvarint();
  const filterLen = d.uvarint();
  const filterCrc = d.be32();
  const nb = d.uvarint();
  const blocks: BlockMeta[] = [];
  const filterOff = CHUNK_PREFIX_BYTES + headerLen + 4;
  const tsStart = filterOff + filterLen;
  const raw: Omit<BlockMeta, 'tsOff' | 'dataOff'>[] = [];
  let total = 0;
  let tsBytes = 0;
  for (let i = 0; i < nb; i++) {
    const bc = d.uvarint();
    const bmint = mint + d.uvarint();
    const bmaxt = bmint + d.uvarint();
    const tsLen = d.uvarint();
    const textLen = d.uvarint();
    const rawTextLen = d.uvarint();
    const fieldsLen = d.uvarint();
    const bTextBytes = d.uvarint();
    const flags = d.byte();
    const tsCrc = d.be32();
    const dataCrc = d.be32();
    const jsonLen = d.uvarint();
    const jsonCrc = jsonLen > 0 ? d.be32() : 0;
    raw.push({ count: bc, mint: bmint, maxt: bmaxt, tsLen, textLen, rawTextLen, fieldsLen, textBytes: bTextBytes, flags, tsCrc, dataCrc, jsonLen, jsonCrc });
    total += bc;
    tsBytes += tsLen;
  }
  const tsEnd = tsStart + tsBytes;
  let tsPos = tsStart;
  let pos = tsEnd;
  for (const r of raw) {
    blocks.push({ ...r, tsOff: tsPos, dataOff: pos });
    tsPos += r.tsLen;
    pos += r.textLen + r.fieldsLen + r.jsonLen;
  }
  if (pos !== length) throw new DecodeError(`chunk blocks end at ${pos}, record length is ${length}`, start);
  if (total !== count) throw new DecodeError(`chunk blocks hold ${total} entries, header says ${count}`, start);
  return { version, codec: codec as Codec, ref, labels, seqStart, count, mint, maxt, textBytes, filterOff, tsStart, tsEnd, filterLen, filterCrc, blocks, length };
}
