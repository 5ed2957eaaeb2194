/**
 * SampleBuffer: growable parallel timestamp/value arrays, reused across series so reading a
 * series' samples allocates nothing once the buffer is large enough.
 * @module
 */
import { isStaleNaN } from '../model/index.js';
import { ValueType, type FloatSink, type SampleIterator, type Series } from '../storage/index.js';
import { StorageError, UnsupportedError } from './errors.js';

/** SampleBuffer holds samples [0, n) of one series. */
export class SampleBuffer {
  ts: Float64Array;
  vs: Float64Array;
  n = 0;
  #it: SampleIterator | undefined;
  // Receives bulk reads, leaving out staleness markers.
  readonly #fresh: FloatSink = new FreshSink(this);

  constructor(capacity = 256) {
    this.ts = new Float64Array(capacity);
    this.vs = new Float64Array(capacity);
  }

  /** clear empties the buffer. */
  clear(): void {
    this.n = 0;
  }

  /** push appends a sample. */
  push(t: number, v: number): void {
    if (this.n === this.ts.length) {
      const cap = this.ts.length * 2;
      const ts = new Float64Array(cap);
      ts.set(this.ts);
      const vs = new Float64Array(cap);
      vs.set(this.vs);
      this.ts = ts;
      this.vs = vs;
    }
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
  }

  /**
   * loadSeries fills the buffer with the samples of s in (mint, maxt], leaving out staleness
   * markers (range selections never return them).
   */
  loadSeries(s: Series, mint: number, maxt: number): void {
    this.n = 0;
    const it = s.iterator(this.#it);
    this.#it = it;
    if (it.readFloats !== undefined) {
      // The storage's bulk read: one call for the whole range instead of three per sample.
      if (it.readFloats(mint, maxt, this.#fresh) === ValueType.Histogram) throw new UnsupportedError('native histogram samples');
      const err = it.err();
      if (err !== undefined) throw new StorageError(`reading series: ${err.message}`, { cause: err });
      return;
    }
    for (let vt = it.seek(mint + 1); vt !== ValueType.None; vt = it.next()) {
      if (vt === ValueType.Histogram) throw new UnsupportedError('native histogram samples');
      const t = it.atT();
      if (t > maxt) break;
      const v = it.atF();
      if (v !== v && isStaleNaN(v)) continue;
      this.push(t, v);
    }
    const err = it.err();
    if (err !== undefined) throw new StorageError(`reading series: ${err.message}`, { cause: err });
  }

  /** iterator returns an iterator over s, reusing the buffer's previous one. */
  iterator(s: Series): SampleIterator {
    const it = s.iterator(this.#it);
    this.#it = it;
    return it;
  }
}

/** FreshSink pushes samples into a buffer, leaving out staleness markers. */
class FreshSink implements FloatSink {
  readonly #buf: SampleBuffer;

  constructor(buf: SampleBuffer) {
    this.#buf = buf;
  }

  push(t: number, v: number): void {
    if (v !== v && isStaleNaN(v)) return;
    this.#buf.push(t, v);
  }
}
