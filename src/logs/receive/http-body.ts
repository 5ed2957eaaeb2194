/**
 * Request bodies: read with a size bound, then undo Content-Encoding (gzip, deflate, snappy)
 * with a bound on the decoded size, so a small compressed body cannot expand without limit.
 * @module
 */
import type { Readable } from 'node:stream';
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { uncompress } from 'snappy';
import { readUvarint } from '../../encoding/index.js';
import { IngestError } from './errors.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/**
 * readBody collects a body up to `limit` bytes; a longer one is refused (too_large). The
 * stream is paused, not destroyed, so an answer can still be sent on the connection.
 */
export function readBody(body: Readable | Uint8Array, limit: number, signal?: AbortSignal): Promise<Buffer> {
  if (body instanceof Uint8Array) {
    if (body.length > limit) return Promise.reject(new IngestError('too_large', `request body over ${limit} bytes`));
    return Promise.resolve(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.length));
  }
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    const done = (): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onData = (chunk: Buffer | string): void => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      n += b.length;
      if (n > limit) {
        done();
        body.pause();
        reject(new IngestError('too_large', `request body over ${limit} bytes`));
        return;
      }
      parts.push(b);
    };
    const onEnd = (): void => {
      done();
      resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, n));
    };
    const onError = (e: Error): void => {
      done();
      reject(new IngestError('bad_request', `reading the request body: ${e.message}`, { cause: e }));
    };
    const onAbort = (): void => {
      done();
      reject(new IngestError('bad_request', 'request aborted'));
    };
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** decodeContentEncoding undoes a Content-Encoding (`gzip`, `x-gzip`, `deflate`, `snappy`, `identity`). */
export async function decodeContentEncoding(buf: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  const enc = (encoding ?? '').trim().toLowerCase();
  try {
    switch (enc) {
      case '':
      case 'identity':
        return buf;
      case 'gzip':
      case 'x-gzip':
        return await gunzipAsync(buf, { maxOutputLength: limit });
      case 'deflate':
        return await inflateAsync(buf, { maxOutputLength: limit });
      case 'snappy':
        return await unsnappy(buf, limit);
      default:
        throw new IngestError('unsupported', `unsupported Content-Encoding "${enc}" (want gzip, deflate or snappy)`);
    }
  } catch (e) {
    if (e instanceof IngestError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') throw new IngestError('too_large', `decoded body over ${limit} bytes`, { cause: e });
    throw new IngestError('bad_request', `cannot decode ${enc} body: ${err.message}`, { cause: e });
  }
}

/** unsnappy decodes a snappy block (as Loki's protobuf push uses), refusing one that declares more than `limit` bytes. */
export async function unsnappy(buf: Buffer, limit: number): Promise<Buffer> {
  let declared: number;
  try {
    declared = readUvarint(buf, { off: 0 });
  } catch (e) {
    throw new IngestError('bad_request', 'invalid snappy block: bad length header', { cause: e });
  }
  if (declared > limit) throw new IngestError('too_large', `snappy block declares ${declared} bytes, over ${limit}`);
  try {
    return (await uncompress(buf, { asBuffer: true })) as Buffer;
  } catch (e) {
    throw new IngestError('bad_request', `invalid snappy block: ${(e as Error).message}`, { cause: e });
  }
}
