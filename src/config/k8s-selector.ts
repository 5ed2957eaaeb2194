/**
 * Syntax checks for Kubernetes label and field selectors, as the API machinery parses them.
 * @module
 */

const KEY = /^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** checkFieldSelector returns an error for a field selector that does not parse (`a=b,c!=d`). */
export function checkFieldSelector(s: string): string | undefined {
  if (s.trim() === '') return undefined;
  for (const part of splitTop(s)) {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (m === null) return `invalid selector: '${s}'; can't understand '${part}'`;
  }
  return undefined;
}

/** checkLabelSelector returns an error for a label selector that does not parse. */
export function checkLabelSelector(s: string): string | undefined {
  if (s.trim() === '') return undefined;
  for (const raw of splitTop(s)) {
    const part = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^!\s*(\S+)$/.exec(part)) !== null) {
      if (!KEY.test(m[1]!)) return `unable to parse requirement: invalid label key "${m[1]!}"`;
    } else if ((m = /^(\S+?)\s*(==|=|!=|>|<)\s*(\S*)$/.exec(part)) !== null) {
      if (!KEY.test(m[1]!)) return `unable to parse requirement: invalid label key "${m[1]!}"`;
      if ((m[2] === '>' || m[2] === '<') && !/^-?[0-9]+$/.test(m[3]!)) return `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`;
      if (!VALUE.test(m[3]!)) return `unable to parse requirement: invalid label value: "${m[3]!}"`;
    } else if ((m = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part)) !== null) {
      if (!KEY.test(m[1]!)) return `unable to parse requirement: invalid label key "${m[1]!}"`;
      for (const v of m[3]!.split(',')) if (!VALUE.test(v.trim())) return `unable to parse requirement: invalid label value: "${v.trim()}"`;
    } else if (KEY.test(part)) {
      // existence requirement
    } else {
      return `unable to parse requirement: found '${part}', expected: identifier`;
    }
  }
  return undefined;
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
