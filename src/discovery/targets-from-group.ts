/**
 * Turning a target group into scrape targets with a job's defaults and relabeling, as
 * Prometheus's TargetsFromGroup does.
 * @module
 */
import { LabelsBuilder } from '../model/index.js';
import type { Labels } from '../model/index.js';
import { TargetLabelsError, populateLabels } from '../relabel/index.js';
import type { RelabelConfig, TargetDefaults } from '../relabel/index.js';
import type { TargetGroup } from './target-group.js';

/** Target is one populated target: dropped ones have `labels` undefined. */
export interface Target {
  /** Public labels (no `__` names); undefined when relabeling dropped the target. */
  readonly labels: Labels | undefined;
  /** Labels after relabeling with internal `__` labels kept (`__address__`, `__param_*`…). */
  readonly internal: Labels | undefined;
  /** Labels before relabeling. */
  readonly discovered: Labels;
}

/** TargetFailure is a target whose labels were invalid; Prometheus skips it and logs the error. */
export class TargetFailure extends Error {
  override readonly name = 'TargetFailure';
  constructor(
    readonly index: number,
    readonly source: string,
    options: { cause: TargetLabelsError },
  ) {
    super(`instance ${index} in group ${source}: ${options.cause.message}`, options);
  }
}

/**
 * targetsFromGroup merges each target's labels over the group's, then populates them. Targets
 * with invalid labels are left out and reported in `failures`.
 */
export function targetsFromGroup(group: TargetGroup, defaults: TargetDefaults, cfgs: readonly RelabelConfig[]): { targets: Target[]; failures: TargetFailure[] } {
  const targets: Target[] = [];
  const failures: TargetFailure[] = [];
  const lb = new LabelsBuilder();
  group.targets.forEach((t, i) => {
    lb.reset(group.labels);
    t.forEach((n, v) => lb.set(n, v));
    try {
      targets.push(populateLabels(lb.labels(), defaults, cfgs));
    } catch (e) {
      if (e instanceof TargetLabelsError) failures.push(new TargetFailure(i, group.source, { cause: e }));
      else throw e;
    }
  });
  return { targets, failures };
}
