/**
 * relabel_config: the actions, defaults and validation of Prometheus 2.42.
 * @module
 */
import { RE2JS } from 're2js';
import { RegexSyntaxError } from '../model/index.js';
import { RelabelConfigError } from './errors.js';
import { isValidLabelName } from './label-name.js';
import { compileRelabelRegex } from './relabel-regex.js';
import type { RelabelRegex } from './relabel-regex.js';

/** RelabelAction lists the relabel actions. */
export const RelabelAction = {
  Replace: 'replace',
  Keep: 'keep',
  Drop: 'drop',
  KeepEqual: 'keepequal',
  DropEqual: 'dropequal',
  HashMod: 'hashmod',
  LabelMap: 'labelmap',
  LabelDrop: 'labeldrop',
  LabelKeep: 'labelkeep',
  Lowercase: 'lowercase',
  Uppercase: 'uppercase',
} as const;

/** RelabelAction is one of the relabel actions. */
export type RelabelAction = (typeof RelabelAction)[keyof typeof RelabelAction];

const ACTIONS: ReadonlySet<string> = new Set(Object.values(RelabelAction));

/** RelabelConfig is one validated relabeling step. */
export interface RelabelConfig {
  readonly sourceLabels: readonly string[];
  readonly separator: string;
  readonly regex: RelabelRegex;
  /** Modulus for hashmod; 0 otherwise. */
  readonly modulus: number;
  readonly targetLabel: string;
  readonly replacement: string;
  readonly action: RelabelAction;
}

/**
 * RawRelabelConfig holds the YAML fields of a relabel_config as read. `null` means the key was
 * given with no value, which (as in Go's YAML decoder) sets the field's zero value.
 */
export interface RawRelabelConfig {
  readonly source_labels?: readonly string[] | null;
  readonly separator?: string | null;
  readonly regex?: string | null;
  readonly modulus?: number | string | null;
  readonly target_label?: string | null;
  readonly replacement?: string | null;
  readonly action?: string | null;
}

/** The defaults Prometheus applies to an unset relabel_config field. */
export const RELABEL_DEFAULTS = {
  separator: ';',
  regex: '(.*)',
  replacement: '$1',
  action: RelabelAction.Replace,
} as const;

// Prometheus's check on target_label and labelmap's replacement: label-name characters with
// `$name`/`${name}` references. Run on RE2 because nested quantifiers backtrack on RegExp.
const RELABEL_TARGET = RE2JS.compile('^(?:(?:[a-zA-Z_]|\\$(?:\\{\\w+\\}|\\w+))+\\w*)+$');

/** newRelabelConfig applies Prometheus's defaults and checks; throws RelabelConfigError naming the field. */
export function newRelabelConfig(raw: RawRelabelConfig): RelabelConfig {
  const sourceLabels = raw.source_labels ?? [];
  for (const n of sourceLabels) {
    if (typeof n !== 'string' || !isValidLabelName(n)) {
      throw new RelabelConfigError('source_labels', `${JSON.stringify(n)} is not a valid label name`);
    }
  }
  const separator = raw.separator === undefined ? RELABEL_DEFAULTS.separator : (raw.separator ?? '');
  const regexSource = raw.regex === undefined ? RELABEL_DEFAULTS.regex : (raw.regex ?? '');
  let regex: RelabelRegex;
  try {
    regex = compileRelabelRegex(regexSource);
  } catch (e) {
    if (e instanceof RegexSyntaxError) {
      throw new RelabelConfigError('regex', `error parsing regexp: ${e.message}`, { cause: e });
    }
    throw e;
  }
  const modulus = parseModulus(raw.modulus);
  const targetLabel = raw.target_label ?? '';
  const replacement = raw.replacement === undefined ? RELABEL_DEFAULTS.replacement : (raw.replacement ?? '');
  const actionRaw = raw.action === undefined ? RELABEL_DEFAULTS.action : (raw.action ?? '');
  const action = actionRaw.toLowerCase();
  if (actionRaw === '') throw new RelabelConfigError('action', 'relabel action cannot be empty');
  if (!ACTIONS.has(action)) throw new RelabelConfigError('action', `unknown relabel action ${JSON.stringify(actionRaw)}`);
  const act = action as RelabelAction;
  const A = RelabelAction;

  if (modulus === 0 && act === A.HashMod) {
    throw new RelabelConfigError('modulus', 'relabel configuration for hashmod requires non-zero modulus');
  }
  const needsTarget = act === A.Replace || act === A.HashMod || act === A.Lowercase || act === A.Uppercase || act === A.KeepEqual || act === A.DropEqual;
  if (needsTarget && targetLabel === '') {
    throw new RelabelConfigError('target_label', `relabel configuration for ${act} action requires 'target_label' value`);
  }
  const templatedTarget = act === A.Replace || act === A.Lowercase || act === A.Uppercase || act === A.KeepEqual || act === A.DropEqual;
  if (templatedTarget && !RELABEL_TARGET.matches(targetLabel)) {
    throw new RelabelConfigError('target_label', `${JSON.stringify(targetLabel)} is invalid 'target_label' for ${act} action`);
  }
  const noReplacement = act === A.Lowercase || act === A.Uppercase || act === A.KeepEqual || act === A.DropEqual;
  if (noReplacement && replacement !== RELABEL_DEFAULTS.replacement) {
    throw new RelabelConfigError('replacement', `'replacement' can not be set for ${act} action`);
  }
  if (act === A.LabelMap && !RELABEL_TARGET.matches(replacement)) {
    throw new RelabelConfigError('replacement', `${JSON.stringify(replacement)} is invalid 'replacement' for ${act} action`);
  }
  if (act === A.HashMod && !isValidLabelName(targetLabel)) {
    throw new RelabelConfigError('target_label', `${JSON.stringify(targetLabel)} is invalid 'target_label' for ${act} action`);
  }
  if (act === A.KeepEqual || act === A.DropEqual) {
    // Prometheus compares the regex by identity with the default, so any explicit regex fails.
    if (raw.regex !== undefined || modulus !== 0 || separator !== RELABEL_DEFAULTS.separator || replacement !== RELABEL_DEFAULTS.replacement) {
      throw new RelabelConfigError(firstSet(raw, ['regex', 'modulus', 'separator', 'replacement']), `${act} action requires only 'source_labels' and \`target_label\`, and no other fields`);
    }
  }
  if (act === A.LabelDrop || act === A.LabelKeep) {
    // source_labels counts as set when the key is present at all, even empty (Go's nil check).
    if (raw.source_labels != null || targetLabel !== '' || modulus !== 0 || separator !== RELABEL_DEFAULTS.separator || replacement !== RELABEL_DEFAULTS.replacement) {
      throw new RelabelConfigError(firstSet(raw, ['source_labels', 'target_label', 'modulus', 'separator', 'replacement']), `${act} action requires only 'regex', and no other fields`);
    }
  }
  return { sourceLabels, separator, regex, modulus, targetLabel, replacement, action: act };
}

function firstSet(raw: RawRelabelConfig, keys: readonly (keyof RawRelabelConfig)[]): string {
  return keys.find((k) => raw[k] !== undefined) ?? 'action';
}

function parseModulus(v: number | string | null | undefined): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'number' ? v : /^(?:0|[1-9][0-9]*)$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0) {
    throw new RelabelConfigError('modulus', `cannot unmarshal ${JSON.stringify(String(v))} into uint64`);
  }
  if (!Number.isSafeInteger(n)) throw new RelabelConfigError('modulus', `modulus ${String(v)} is larger than vigil supports (2^53-1)`);
  return n;
}
