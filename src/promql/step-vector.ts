/**
 * StepVector: the engine's working representation of an instant vector over all steps of an
 * evaluation. Rows are series; each row holds one value slot per step in a shared Float64Array
 * and a presence byte per step, so evaluating a range query allocates per node, not per sample.
 * @module
 */
import type { Labels } from '../model/index.js';
import { TooManySamplesError } from './errors.js';

/**
 * MAX_CELLS bounds one dense row × step allocation (about 1 GB with presence bytes): beyond it a
 * query is refused as holding too many samples, instead of exhausting memory.
 */
export const MAX_CELLS = 120_000_000;

/** INITIAL_CELLS bounds the first allocation of a StepVector (it grows by doubling). */
const INITIAL_CELLS = 8_000_000;

/** checkCells throws TooManySamplesError when rows × steps exceeds MAX_CELLS. */
export function checkCells(rows: number, steps: number): void {
  if (rows * steps > MAX_CELLS) throw new TooManySamplesError('query execution', MAX_CELLS);
}

/** SAME_LABELSET is Prometheus's message for two series that end up with identical labels. */
export const SAME_LABELSET = 'vector cannot contain metrics with the same labelset';

/** StepVector holds rows (series) × steps of values with presence flags. */
export class StepVector {
  readonly kind = 'vector' as const;
  readonly steps: number;
  /** Number of rows in use. */
  n = 0;
  /** Row labels. */
  labels: Labels[] = [];
  /** Per row: 1 when the metric name is to be dropped at the end of evaluation (delayed name removal). */
  drop: Uint8Array;
  /** Values, row-major: v[row * steps + step]. */
  v: Float64Array;
  /** Presence, row-major, 1 where v holds a value. */
  p: Uint8Array;

  constructor(steps: number, capacity = 4) {
    this.steps = steps;
    // Start at most INITIAL_CELLS large: rows may turn out empty, and a query with very many
    // steps (a subquery at a fine resolution) must reach its sample limit before its memory's.
    const cap = Math.max(1, Math.min(capacity, Math.floor(INITIAL_CELLS / Math.max(1, steps))));
    checkCells(cap, steps);
    this.drop = new Uint8Array(cap);
    this.v = new Float64Array(cap * steps);
    this.p = new Uint8Array(cap * steps);
  }

  /** addRow appends an empty row and returns its index. */
  addRow(labels: Labels, drop: boolean): number {
    if (this.n === this.drop.length) this.#grow(this.n * 2);
    const r = this.n++;
    this.labels.push(labels);
    this.drop[r] = drop ? 1 : 0;
    return r;
  }

  #grow(cap: number): void {
    checkCells(cap, this.steps);
    const d = new Uint8Array(cap);
    d.set(this.drop);
    this.drop = d;
    const v = new Float64Array(cap * this.steps);
    v.set(this.v);
    this.v = v;
    const p = new Uint8Array(cap * this.steps);
    p.set(this.p);
    this.p = p;
  }

  /** set stores a value at (row, step). */
  set(row: number, step: number, value: number): void {
    const i = row * this.steps + step;
    this.v[i] = value;
    this.p[i] = 1;
  }

  /** has tells whether (row, step) holds a value. */
  has(row: number, step: number): boolean {
    return this.p[row * this.steps + step] === 1;
  }

  /** get returns the value at (row, step) (unspecified when absent). */
  get(row: number, step: number): number {
    return this.v[row * this.steps + step]!;
  }

  /** rowCount returns how many steps of a row hold values. */
  rowCount(row: number): number {
    let c = 0;
    const p = this.p;
    for (let i = row * this.steps, e = i + this.steps; i < e; i++) c += p[i]!;
    return c;
  }

  /** points counts all values held. */
  points(): number {
    let c = 0;
    const p = this.p;
    for (let i = 0, e = this.n * this.steps; i < e; i++) c += p[i]!;
    return c;
  }

  /** compact removes rows without any value, keeping order. */
  compact(): this {
    const s = this.steps;
    let w = 0;
    for (let r = 0; r < this.n; r++) {
      if (this.rowCount(r) === 0) continue;
      if (w !== r) {
        this.labels[w] = this.labels[r]!;
        this.drop[w] = this.drop[r]!;
        this.v.copyWithin(w * s, r * s, r * s + s);
        this.p.copyWithin(w * s, r * s, r * s + s);
      }
      w++;
    }
    this.n = w;
    this.labels.length = w;
    return this;
  }

  /** copyRow appends a copy of row r of src (same step count), returning the new row. */
  copyRowFrom(src: StepVector, r: number, labels: Labels = src.labels[r]!, drop = src.drop[r] === 1): number {
    const row = this.addRow(labels, drop);
    const s = this.steps;
    this.v.set(src.v.subarray(r * s, r * s + s), row * s);
    this.p.set(src.p.subarray(r * s, r * s + s), row * s);
    return row;
  }
}
