/**
 * Decoding lists of relabel_configs, with errors pointing at the offending key.
 * @module
 */
import { RelabelConfigError, newRelabelConfig } from '../relabel/index.js';
import type { RawRelabelConfig, RelabelConfig } from '../relabel/index.js';
import type { Decoder, YNodeLike } from './yaml-decoder.js';

const RELABEL_KEYS = ['source_labels', 'separator', 'regex', 'modulus', 'target_label', 'replacement', 'action'] as const;

/** decodeRelabelConfigs decodes a relabel_configs-style list; `nullMessage` is Prometheus's error for a null item. */
export function decodeRelabelConfigs(d: Decoder, node: YNodeLike, key: string, nullMessage: string): RelabelConfig[] {
  return d.seq(node, key).map((item) => {
    if (d.isNull(item)) d.fail(item ?? node, key, nullMessage);
    const f = d.fields(item, 'relabel.Config', RELABEL_KEYS, key);
    const raw: { -readonly [K in keyof RawRelabelConfig]: RawRelabelConfig[K] } = {};
    if (f.has('source_labels')) raw.source_labels = d.isNull(f.get('source_labels')) ? null : d.strList(f.get('source_labels'), 'source_labels');
    for (const k of ['separator', 'regex', 'target_label', 'replacement', 'action'] as const) {
      if (f.has(k)) raw[k] = d.isNull(f.get(k)) ? null : d.str(f.get(k), k);
    }
    if (f.has('modulus')) raw.modulus = d.int(f.get('modulus'), 'modulus', 'uint64');
    try {
      return newRelabelConfig(raw);
    } catch (e) {
      if (e instanceof RelabelConfigError) d.fail(f.has(e.field) ? f.keyNode(e.field) : item, e.field, e.message, e);
      throw e;
    }
  });
}
