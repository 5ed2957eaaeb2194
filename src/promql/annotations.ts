/**
 * Annotations: the warnings and infos a query returns beside its result. They are kept by
 * message, so the same note raised for many series is reported once (at the last position seen),
 * and rendered as Prometheus's API does: `PromQL warning: <message> (<line>:<col>)`.
 * @module
 */
import type { PositionRange } from '../model/index.js';
import { positionString } from './parser/index.js';

/** AnnotationLevel tells a warning from an info. */
export type AnnotationLevel = 'warning' | 'info';

/** Annotation is one note with the source range it refers to. */
export interface Annotation {
  readonly level: AnnotationLevel;
  /** The message without prefix or position. */
  readonly message: string;
  readonly range: PositionRange;
  /** For merged notes (monotonicity fixes): renders the final text with the position appended. */
  readonly render?: (pos: string) => string;
  /** Merges a later note with the same key into this one. */
  readonly merge?: (later: Annotation) => Annotation;
}

/** Annotations collects notes during one query. */
export class Annotations {
  readonly #byKey = new Map<string, Annotation>();

  /** add records a note; a note with the same level and message replaces (or merges into) the earlier one. */
  add(a: Annotation): void {
    const key = a.level + '\u0000' + a.message;
    const prev = this.#byKey.get(key);
    if (prev !== undefined && a.merge !== undefined) {
      this.#byKey.set(key, a.merge(prev));
      return;
    }
    this.#byKey.delete(key);
    this.#byKey.set(key, a);
  }

  /** warn records a warning. */
  warn(message: string, range: PositionRange): void {
    this.add({ level: 'warning', message, range });
  }

  /** info records an info note. */
  info(message: string, range: PositionRange): void {
    this.add({ level: 'info', message, range });
  }

  /** merge adds every note of another collection. */
  merge(o: Annotations): void {
    for (const a of o.#byKey.values()) this.add(a);
  }

  /** size counts the distinct notes. */
  get size(): number {
    return this.#byKey.size;
  }

  /** list returns the notes in insertion order. */
  list(): readonly Annotation[] {
    return [...this.#byKey.values()];
  }

  /** strings renders the notes of one level as Prometheus's HTTP API does. */
  strings(level: AnnotationLevel, query: string): string[] {
    const out: string[] = [];
    for (const a of this.#byKey.values()) {
      if (a.level !== level) continue;
      const pos = positionString(query, a.range.start);
      const prefix = level === 'warning' ? 'PromQL warning: ' : 'PromQL info: ';
      out.push(a.render !== undefined ? prefix + a.render(pos) : `${prefix}${a.message} (${pos})`);
    }
    return out;
  }
}
