/**
 * relabel_configs semantics: the actions, their defaults and validation, and the population of
 * a discovered target's labels, all as Prometheus 2.42 behaves.
 * @module
 */
export { RelabelAction, RELABEL_DEFAULTS, newRelabelConfig } from './relabel-config.js';
export type { RelabelConfig, RawRelabelConfig } from './relabel-config.js';
export { compileRelabelRegex } from './relabel-regex.js';
export type { RelabelRegex } from './relabel-regex.js';
export { relabel, hashMod } from './relabel.js';
export { parseTemplate, expandTemplate } from './expand-template.js';
export type { Template, TemplatePart } from './expand-template.js';
export {
  TargetLabel,
  populateLabels,
  publicLabels,
  targetURL,
  targetIntervalMs,
  targetTimeoutMs,
  splitHostPort,
} from './populate-labels.js';
export type { TargetDefaults, PopulatedLabels } from './populate-labels.js';
export { isValidLabelName, isValidLabelValue } from './label-name.js';
export { RelabelConfigError, TargetLabelsError } from './errors.js';
