import { describe, expect, it } from 'vitest';
import { RelabelConfigError, newRelabelConfig } from './index.js';
import type { RawRelabelConfig } from './index.js';

const good: readonly { name: string; raw: RawRelabelConfig }[] = [
  { name: 'empty is a replace that needs target_label… with one', raw: { target_label: 'x' } },
  { name: 'labelmap', raw: { action: 'labelmap', regex: '__meta_(.+)' } },
  { name: 'labeldrop with null source_labels', raw: { action: 'labeldrop', regex: 'a', source_labels: null } },
  { name: 'hashmod', raw: { action: 'hashmod', source_labels: ['a'], modulus: 3, target_label: 'h' } },
  { name: 'keepequal', raw: { action: 'keepequal', source_labels: ['a'], target_label: 'b' } },
  { name: 'templated target', raw: { target_label: 'x_${1}_$name' } },
  { name: 'null regex is the empty regex', raw: { action: 'drop', regex: null } },
];

const bad: readonly { name: string; raw: RawRelabelConfig; field: string; msg: RegExp }[] = [
  { name: 'replace without target', raw: {}, field: 'target_label', msg: /requires 'target_label' value/ },
  { name: 'unknown action', raw: { action: 'frobnicate' }, field: 'action', msg: /unknown relabel action "frobnicate"/ },
  { name: 'empty action', raw: { action: null }, field: 'action', msg: /cannot be empty/ },
  { name: 'hashmod without modulus', raw: { action: 'hashmod', target_label: 'h' }, field: 'modulus', msg: /non-zero modulus/ },
  { name: 'hashmod with templated target', raw: { action: 'hashmod', target_label: '$1', modulus: 2 }, field: 'target_label', msg: /invalid 'target_label'/ },
  { name: 'invalid target', raw: { target_label: '1abc' }, field: 'target_label', msg: /"1abc" is invalid 'target_label' for replace action/ },
  { name: 'lowercase with replacement', raw: { action: 'lowercase', target_label: 'l', replacement: 'x' }, field: 'replacement', msg: /can not be set/ },
  { name: 'labelmap invalid replacement', raw: { action: 'labelmap', replacement: 'a-b' }, field: 'replacement', msg: /invalid 'replacement'/ },
  { name: 'keepequal with regex', raw: { action: 'keepequal', source_labels: ['a'], target_label: 'b', regex: '(.*)' }, field: 'regex', msg: /requires only 'source_labels'/ },
  { name: 'labeldrop with source_labels', raw: { action: 'labeldrop', source_labels: [] }, field: 'source_labels', msg: /requires only 'regex'/ },
  { name: 'labelkeep with target', raw: { action: 'labelkeep', target_label: 'x' }, field: 'target_label', msg: /requires only 'regex'/ },
  { name: 'bad regex', raw: { regex: '(', target_label: 'x' }, field: 'regex', msg: /error parsing regexp/ },
  { name: 'bad source label', raw: { source_labels: ['a-b'], target_label: 'x' }, field: 'source_labels', msg: /not a valid label name/ },
  { name: 'bad modulus', raw: { action: 'hashmod', target_label: 'h', modulus: '-1' }, field: 'modulus', msg: /uint64/ },
];

describe('newRelabelConfig', () => {
  it('applies the defaults', () => {
    const c = newRelabelConfig({ target_label: 'x' });
    expect(c).toMatchObject({ sourceLabels: [], separator: ';', modulus: 0, replacement: '$1', action: 'replace' });
    expect(c.regex.source).toBe('(.*)');
  });
  it.each(good)('accepts $name', ({ raw }) => {
    expect(() => newRelabelConfig(raw)).not.toThrow();
  });
  it.each(bad)('rejects $name', ({ raw, field, msg }) => {
    try {
      newRelabelConfig(raw);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RelabelConfigError);
      expect((e as RelabelConfigError).field).toBe(field);
      expect((e as Error).message).toMatch(msg);
    }
  });
});
