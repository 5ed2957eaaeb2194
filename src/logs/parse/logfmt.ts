/**
 * logfmt: `key=value key="quoted value" bare` pairs, as written by logrus (dockerd,
 * containerd), go-kit, Go's log/slog TextHandler and many others.
 * @module
 */

/**
 * LogfmtScanner walks the pairs of one line without allocating: after `next()` returns
 * true, the key is `s.slice(keyStart, keyEnd)` and the value span is [valStart, valEnd)
 * (inside the quotes when `quoted`); `hasEq` tells `key=` from a bare key. Bytes below
 * `!` separate pairs (so a `^C` echoed by a terminal in front of a line is skipped).
 */
export class LogfmtScanner {
  s = '';
  pos = 0;
  keyStart = 0;
  keyEnd = 0;
  valStart = 0;
  valEnd = 0;
  quoted = false;
  escaped = false;
  hasEq = false;
  /** Offset of an unterminated quote or a stray quote/equals sign, or -1. */
  errorAt = -1;

  /** reset starts scanning `s`. */
  reset(s: string): void {
    this.s = s;
    this.pos = 0;
    this.errorAt = -1;
    this.firstKeyStart = -1;
  }

  /** next advances to the next pair; false at the end or on a syntax error (see errorAt). */
  next(): boolean {
    const s = this.s;
    const n = s.length;
    let i = this.pos;
    while (i < n && s.charCodeAt(i) <= 32) i++;
    if (i >= n) return false;
    const ks = i;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c <= 32 || c === 61 /* = */ || c === 34 /* " */) break;
    }
    if (i === ks) {
      this.errorAt = i;
      return false;
    }
    this.keyStart = ks;
    this.keyEnd = i;
    if (this.firstKeyStart < 0) this.firstKeyStart = ks;
    this.quoted = false;
    this.escaped = false;
    if (i >= n || s.charCodeAt(i) !== 61) {
      if (i < n && s.charCodeAt(i) === 34) {
        this.errorAt = i;
        return false;
      }
      this.hasEq = false;
      this.valStart = this.valEnd = i;
      this.pos = i;
      return true;
    }
    this.hasEq = true;
    i++;
    if (i < n && s.charCodeAt(i) === 34) {
      const vs = i + 1;
      let j = vs;
      for (;;) {
        const q = s.indexOf('"', j);
        if (q < 0) {
          this.errorAt = i;
          return false;
        }
        let bs = 0;
        for (let k = q - 1; k >= vs && s.charCodeAt(k) === 92; k--) bs++;
        if (bs > 0) this.escaped = true;
        if ((bs & 1) === 0) {
          this.quoted = true;
          this.valStart = vs;
          this.valEnd = q;
          this.pos = q + 1;
          return true;
        }
        j = q + 1;
      }
    }
    const vs = i;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c <= 32) break;
      if (c === 34) {
        this.errorAt = i;
        return false;
      }
    }
    this.valStart = vs;
    this.valEnd = i;
    this.pos = i;
    return true;
  }

  /**
   * keyIs tells whether the current key equals `k`. A terminal's echo of a control key in
   * caret notation in front of the first key (`^Ctime=…`, captured from a console) is ignored.
   */
  keyIs(k: string): boolean {
    const len = this.keyEnd - this.keyStart;
    if (len === k.length) return this.s.startsWith(k, this.keyStart);
    if (len === k.length + 2 && this.keyStart === this.firstKeyStart && this.s.charCodeAt(this.keyStart) === 94) {
      const c = this.s.charCodeAt(this.keyStart + 1);
      return c >= 64 && c <= 95 && this.s.startsWith(k, this.keyStart + 2);
    }
    return false;
  }

  /** Where the first key of the line starts. */
  firstKeyStart = -1;

  /** key returns the current key. */
  key(): string {
    return this.s.slice(this.keyStart, this.keyEnd);
  }

  /** value returns the current value with Go string escapes (`\"`, `\\`, `\n`, `\t`, `\uXXXX`) decoded. */
  value(): string {
    const raw = this.s.slice(this.valStart, this.valEnd);
    return this.escaped ? unescapeGo(raw) : raw;
  }
}

/** unescapeGo decodes the escapes of a Go quoted string body (strconv.Quote output); unknown escapes stay as written. */
export function unescapeGo(raw: string): string {
  let out = '';
  let last = 0;
  for (let i = raw.indexOf('\\'); i >= 0 && i < raw.length - 1; i = raw.indexOf('\\', i)) {
    out += raw.slice(last, i);
    const c = raw[i + 1]!;
    let rep: string | undefined;
    let len = 2;
    switch (c) {
      case '"': rep = '"'; break;
      case '\\': rep = '\\'; break;
      case 'n': rep = '\n'; break;
      case 't': rep = '\t'; break;
      case 'r': rep = '\r'; break;
      case 'a': rep = '\x07'; break;
      case 'b': rep = '\b'; break;
      case 'f': rep = '\f'; break;
      case 'v': rep = '\v'; break;
      case 'x': len = 4; break;
      case 'u': len = 6; break;
      case 'U': len = 10; break;
      default: break;
    }
    if (rep === undefined && len > 2) {
      const hex = raw.slice(i + 2, i + len);
      const cp = hex.length === len - 2 && /^[0-9a-fA-F]+$/.test(hex) ? parseInt(hex, 16) : -1;
      if (cp >= 0 && cp <= 0x10ffff) rep = String.fromCodePoint(cp);
    }
    if (rep === undefined) {
      out += raw.slice(i, i + 2);
    } else {
      out += rep;
      i += len - 2;
    }
    i += 2;
    last = i;
  }
  return out + raw.slice(last);
}
