import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { compileRelabelRegex } from './index.js';

// Fast paths must agree with the RE2 engine on `^(?:<re>)$` (Prometheus 2.42, no `s` flag).
const patterns = ['(.*)', '(.+)', '__meta_kubernetes_pod_label_(.+)', 'foo_(.*)', 'go_.*|process_.*', 'a.*', '', 'x', 'a|b|c', '(a|b)', '.*', '.+', '[a-c]+x', 'true', '(?i)foo', '(https?)', '([^:]+)(?::\\d+)?;(\\d+)'];

function reference(source: string, s: string): (string | null)[] | undefined {
  const re = RE2JS.compile(`^(?:${source})$`);
  const m = re.matcher(s);
  if (!m.matches()) return undefined;
  const out: (string | null)[] = [];
  for (let i = 0; i <= re.groupCount(); i++) out.push(m.group(i));
  return out;
}

describe('compileRelabelRegex', () => {
  it('agrees with the RE2 engine on every shape', () => {
    const str = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('', '\n', 'a\nb', 'foo_\n', 'go_x', 'process_', '__meta_kubernetes_pod_label_app', '__meta_kubernetes_pod_label_', 'http', 'https', '1.2.3.4:80;9100', 'FOO', 'foo_bar'),
      fc.tuple(fc.constantFrom('go_', 'foo_', '__meta_kubernetes_pod_label_', 'a', ''), fc.string({ maxLength: 6 })).map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(fc.constantFrom(...patterns), str, (p, s) => {
        const rx = compileRelabelRegex(p);
        const want = reference(p, s);
        expect(rx.test(s)).toBe(want !== undefined);
        expect(rx.match(s)).toEqual(want);
      }),
      { numRuns: 3000 },
    );
  });

  it('does not let . match a newline (Prometheus 2.42)', () => {
    expect(compileRelabelRegex('(.*)').test('a\nb')).toBe(false);
    expect(compileRelabelRegex('a.*').test('a\n')).toBe(false);
    expect(compileRelabelRegex('(?s:.*)').test('a\nb')).toBe(true);
  });
});
