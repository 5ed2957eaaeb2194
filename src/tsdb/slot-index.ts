/**
 * An open-addressing hash index from 32-bit keys to slots of a struct-of-arrays table, kept in
 * one Int32Array: a Map costs some 40 bytes and an object per entry, this costs 8. Keys are
 * computed from the slot (`keyOf`), so the index stores slots only; keys may repeat (label
 * hashes collide), lookups check candidates with a predicate.
 * @module
 */

const EMPTY = 0; // table entries are slot + 1

/** SlotIndex maps 32-bit integer keys to slots. */
export class SlotIndex {
  readonly #keyOf: (slot: number) => number;
  #table: Int32Array = new Int32Array(1024);
  #size = 0;

  /** keyOf(slot) must stay the same while the slot is in the index. */
  constructor(options: { readonly keyOf: (slot: number) => number }) {
    this.#keyOf = options.keyOf;
  }

  /** size is the number of slots indexed. */
  get size(): number {
    return this.#size;
  }

  /** insert adds a slot under its key. */
  insert(slot: number): void {
    if ((this.#size + 1) * 2 > this.#table.length) this.#resize(this.#table.length * 2);
    this.#place(this.#table, slot);
    this.#size++;
  }

  /** find returns the first slot with this key that `accept` takes, or -1. */
  find(key: number, accept: (slot: number) => boolean): number {
    const t = this.#table;
    const mask = t.length - 1;
    for (let i = mix(key) & mask; ; i = (i + 1) & mask) {
      const e = t[i]!;
      if (e === EMPTY) return -1;
      const slot = e - 1;
      if (this.#keyOf(slot) === key && accept(slot)) return slot;
    }
  }

  /** findKey returns the first slot with this key, or -1 (for unique keys). */
  findKey(key: number): number {
    const t = this.#table;
    const mask = t.length - 1;
    for (let i = mix(key) & mask; ; i = (i + 1) & mask) {
      const e = t[i]!;
      if (e === EMPTY) return -1;
      if (this.#keyOf(e - 1) === key) return e - 1;
    }
  }

  /** remove takes a slot out of the index (a no-op when it is not in it). */
  remove(slot: number): void {
    const t = this.#table;
    const mask = t.length - 1;
    let i = mix(this.#keyOf(slot)) & mask;
    for (;;) {
      const e = t[i]!;
      if (e === EMPTY) return;
      if (e === slot + 1) break;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: move later entries of the probe run into the hole when their
    // home position does not lie between the hole and them.
    let hole = i;
    for (let j = (hole + 1) & mask; t[j] !== EMPTY; j = (j + 1) & mask) {
      const home = mix(this.#keyOf(t[j]! - 1)) & mask;
      const between = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!between) {
        t[hole] = t[j]!;
        hole = j;
      }
    }
    t[hole] = EMPTY;
    this.#size--;
    if (this.#table.length > 1024 && this.#size * 8 < this.#table.length) this.#resize(this.#table.length / 2);
  }

  #place(t: Int32Array, slot: number): void {
    const mask = t.length - 1;
    let i = mix(this.#keyOf(slot)) & mask;
    while (t[i] !== EMPTY) i = (i + 1) & mask;
    t[i] = slot + 1;
  }

  #resize(size: number): void {
    const old = this.#table;
    const t = new Int32Array(size);
    for (let i = 0; i < old.length; i++) if (old[i] !== EMPTY) this.#place(t, old[i]! - 1);
    this.#table = t;
  }
}

// mix spreads a key's bits (murmur3's finalizer), so sequential keys and weak hashes probe well.
function mix(k: number): number {
  let h = k | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
