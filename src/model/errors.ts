/**
 * Errors shared across vigil's engines.
 * @module
 */

/** PositionRange is a half-open range of 0-based UTF-16 offsets into a source text. */
export interface PositionRange {
  readonly start: number;
  readonly end: number;
}

/** lineCol turns an offset into a 1-based `line:col` string. */
export function lineCol(text: string, offset: number): string {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return `${line}:${col}`;
}

/** assertNever fails at compile time when a switch over a union is not exhaustive. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}

/** Warning is a non-fatal note returned beside a result. */
export type Warning = string;
