/**
 * The label set string of Loki's protobuf push (`{app="web", level="info"}`), as Prometheus
 * prints a label set: names, `=`, double-quoted values with Go escapes, comma separated.
 * @module
 */
import { LabelsBuilder, type Labels } from '../../model/index.js';
import { IngestError } from './errors.js';

const NAME_START = /[a-zA-Z_]/;
const NAME_CHAR = /[a-zA-Z0-9_]/;

/** parseLabelString parses `{name="value", …}`; throws IngestError (bad_request) with the offset of a mistake. */
export function parseLabelString(s: string): Labels {
  let i = 0;
  const fail = (what: string): never => {
    throw new IngestError('bad_request', `invalid labels ${JSON.stringify(s.length > 200 ? s.slice(0, 200) + '…' : s)}: ${what} at offset ${i}`);
  };
  const ws = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  ws();
  if (s[i] !== '{') fail('expected {');
  i++;
  const b = new LabelsBuilder();
  ws();
  if (s[i] === '}') {
    i++;
  } else {
    for (;;) {
      ws();
      const ns = i;
      if (!NAME_START.test(s[i] ?? '')) fail('expected a label name');
      while (i < s.length && NAME_CHAR.test(s[i]!)) i++;
      const name = s.slice(ns, i);
      ws();
      if (s[i] !== '=') fail('expected =');
      i++;
      ws();
      if (s[i] !== '"') fail('expected "');
      i++;
      let v = '';
      for (;;) {
        if (i >= s.length) fail('unterminated value');
        const c = s[i]!;
        if (c === '"') break;
        if (c === '\\') {
          const e = s[i + 1];
          v += e === 'n' ? '\n' : e === 't' ? '\t' : e === '"' || e === '\\' ? e : '\\' + (e ?? '');
          i += 2;
          continue;
        }
        v += c;
        i++;
      }
      i++;
      b.set(name, v);
      ws();
      if (s[i] === ',') {
        i++;
        ws();
        if (s[i] === '}') {
          i++;
          break;
        }
        continue;
      }
      if (s[i] === '}') {
        i++;
        break;
      }
      fail('expected , or }');
    }
  }
  ws();
  if (i !== s.length) fail('data after }');
  return b.labels();
}
