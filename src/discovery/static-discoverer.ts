/**
 * static_configs: a fixed list of groups.
 * @module
 */
import type { Discoverer } from './discoverer.js';
import type { TargetGroup } from './target-group.js';
import { Wakeup } from './wakeup.js';

/** StaticDiscoverer yields its groups once and then waits for the abort. */
export class StaticDiscoverer implements Discoverer {
  readonly #groups: readonly TargetGroup[];

  constructor(options: { readonly groups: readonly TargetGroup[] }) {
    this.#groups = options.groups;
  }

  /** run yields the groups, then ends when signal aborts. */
  async *run(signal: AbortSignal): AsyncIterable<readonly TargetGroup[]> {
    if (signal.aborted) return;
    yield this.#groups;
    await new Wakeup().wait(Infinity, signal);
  }
}
