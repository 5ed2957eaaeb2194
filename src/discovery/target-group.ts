/**
 * Target groups: what every discovery provider produces.
 * @module
 */
import type { Labels } from '../model/index.js';

/**
 * TargetGroup is a set of targets sharing common labels. `source` identifies the group within
 * its provider; a later group with the same source replaces it, and one with no targets
 * removes it.
 */
export interface TargetGroup {
  readonly source: string;
  /** Each target's own labels; every one has `__address__`. */
  readonly targets: readonly Labels[];
  /** Labels common to all targets; a target's own label of the same name wins. */
  readonly labels: Labels;
}
