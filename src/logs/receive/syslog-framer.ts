/**
 * SyslogFramer splits a syslog TCP stream into messages (RFC 6587): octet counting
 * (`MSG-LEN SP SYSLOG-MSG`, detected by a leading digit) and non-transparent framing
 * (messages ended by LF, also NUL or CRLF), chosen per message so senders may mix them.
 * @module
 */

/** FrameSink receives one message; `cut` is the number of bytes dropped from an over-long one. */
export type FrameSink = (msg: Buffer, cut: number) => void;

const MAX_LEN_DIGITS = 9;

/** SyslogFramer holds at most one unfinished message (bounded by maxMessageBytes). */
export class SyslogFramer {
  readonly #max: number;
  #carry: Buffer[] = [];
  #carryLen = 0;
  // Octet counting: bytes still expected for the current frame, -1 when not in a counted frame.
  #need = -1;
  #dropped = 0;
  #since = -1;

  constructor(maxMessageBytes: number) {
    this.#max = maxMessageBytes;
  }

  /** partialSince is when the unfinished message started (ms), or -1. */
  get partialSince(): number {
    return this.#carryLen > 0 || this.#need >= 0 ? this.#since : -1;
  }

  /** push feeds bytes received at `now`; complete messages go to `sink`. */
  push(chunk: Buffer, now: number, sink: FrameSink): void {
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      if (this.#need >= 0) {
        const k = Math.min(this.#need, n - pos);
        this.#keep(chunk, pos, pos + k);
        this.#need -= k;
        pos += k;
        if (this.#need === 0) {
          this.#need = -1;
          let msg = this.#take();
          // rsyslog's octet-counted frames may still end in LF.
          if (msg.length > 0 && msg[msg.length - 1] === 10) msg = msg.subarray(0, -1);
          sink(msg, this.#takeDropped());
        }
        continue;
      }
      if (this.#carryLen === 0) {
        this.#since = now;
        const c = chunk[pos]!;
        if (c >= 0x31 && c <= 0x39) {
          // MSG-LEN: a non-zero digit, up to 9 digits, then one space.
          let j = pos;
          let len = 0;
          while (j < n && j - pos < MAX_LEN_DIGITS && chunk[j]! >= 0x30 && chunk[j]! <= 0x39) {
            len = len * 10 + (chunk[j]! - 0x30);
            j++;
          }
          if (j < n && chunk[j] === 0x20) {
            this.#need = len;
            pos = j + 1;
            if (len === 0) this.#need = -1;
            continue;
          }
          if (j === n && j - pos < MAX_LEN_DIGITS) {
            // The length is cut by the chunk boundary: keep the digits and decide later.
            this.#keep(chunk, pos, n);
            return;
          }
        } else if (c === 10 || c === 0) {
          // Empty message or a stray trailer between frames.
          pos++;
          continue;
        }
      } else if (this.#carryLen > 0 && this.#carryLen < MAX_LEN_DIGITS + 1 && this.#isDigits()) {
        // Resume a length split over chunks.
        const head = this.#take();
        this.push(Buffer.concat([head, chunk.subarray(pos)]), now, sink);
        return;
      }
      // Non-transparent framing: up to LF or NUL.
      let e = pos;
      while (e < n) {
        const b = chunk[e]!;
        if (b === 10 || b === 0) break;
        e++;
      }
      this.#keep(chunk, pos, e);
      if (e === n) return;
      let msg = this.#take();
      if (msg.length > 0 && msg[msg.length - 1] === 13) msg = msg.subarray(0, -1);
      sink(msg, this.#takeDropped());
      pos = e + 1;
    }
  }

  /** end emits an unfinished message, if any. */
  end(sink: FrameSink): void {
    if (this.#carryLen > 0 || this.#need >= 0) {
      this.#need = -1;
      sink(this.#take(), this.#takeDropped());
    }
  }

  #isDigits(): boolean {
    const b = this.#carry.length === 1 ? this.#carry[0]! : Buffer.concat(this.#carry);
    for (const c of b) if (c < 0x30 || c > 0x39) return false;
    return true;
  }

  #keep(chunk: Buffer, a: number, b: number): void {
    if (b <= a) return;
    const room = this.#max - this.#carryLen;
    const k = Math.min(room, b - a);
    if (k > 0) {
      this.#carry.push(chunk.subarray(a, a + k));
      this.#carryLen += k;
    }
    this.#dropped += b - a - Math.max(k, 0);
  }

  #take(): Buffer {
    const b = this.#carry.length === 1 ? this.#carry[0]! : Buffer.concat(this.#carry, this.#carryLen);
    this.#carry = [];
    this.#carryLen = 0;
    return b;
  }

  #takeDropped(): number {
    const d = this.#dropped;
    this.#dropped = 0;
    return d;
  }
}
