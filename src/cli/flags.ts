/**
 * Command-line flags in Prometheus's style: `--name=value`, `--name value`, `--bool`,
 * `--no-bool`; positional arguments are kept in order.
 * @module
 */

/** FlagSpec declares one flag. */
export interface FlagSpec {
  readonly name: string;
  readonly help: string;
  readonly kind: 'string' | 'bool' | 'list';
  readonly default?: string | boolean;
  /** Placeholder shown in --help, e.g. `FILE`. */
  readonly placeholder?: string;
}

/** FlagError reports a bad command line. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/** ParsedFlags holds values by flag name plus positional arguments. */
export interface ParsedFlags {
  readonly values: ReadonlyMap<string, string | boolean | readonly string[]>;
  readonly args: readonly string[];
  /** Names the user actually gave (as opposed to defaults). */
  readonly given: ReadonlySet<string>;
}

/** parseFlags parses argv against specs; unknown flags are errors. */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values = new Map<string, string | boolean | readonly string[]>();
  const given = new Set<string>();
  for (const s of specs) {
    if (s.default !== undefined) values.set(s.name, s.default);
    else if (s.kind === 'list') values.set(s.name, []);
  }
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      args.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    let name = eq >= 0 ? body.slice(0, eq) : body;
    let inline: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    let spec = byName.get(name);
    if (spec === undefined && name.startsWith('no-') && byName.get(name.slice(3))?.kind === 'bool') {
      spec = byName.get(name.slice(3));
      name = name.slice(3);
      if (inline !== undefined) throw new FlagError(`flag --no-${name} takes no value`);
      inline = 'false';
    }
    if (spec === undefined) throw new FlagError(`unknown flag --${name}`);
    given.add(name);
    if (spec.kind === 'bool') {
      const v = inline ?? 'true';
      if (v !== 'true' && v !== 'false') throw new FlagError(`flag --${name} expects true or false, got "${v}"`);
      values.set(name, v === 'true');
      continue;
    }
    let v = inline;
    if (v === undefined) {
      v = argv[++i];
      if (v === undefined) throw new FlagError(`flag --${name} needs a value`);
    }
    if (spec.kind === 'list') {
      const prev = given.has(name) && Array.isArray(values.get(name)) ? (values.get(name) as string[]) : [];
      values.set(name, [...prev, v]);
    } else {
      values.set(name, v);
    }
  }
  return { values, args, given };
}

/** formatFlagHelp renders the flags table for --help. */
export function formatFlagHelp(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const lhs = `  --${s.name}${s.kind === 'bool' ? '' : '=' + (s.placeholder ?? 'VALUE')}`;
    const def = s.default !== undefined && s.default !== '' ? ` (default: ${String(s.default)})` : '';
    return [lhs, s.help + def] as const;
  });
  const w = Math.min(44, Math.max(...rows.map((r) => r[0].length)) + 2);
  return rows.map(([l, r]) => (l.length >= w ? `${l}\n${' '.repeat(w)}${r}` : l.padEnd(w) + r)).join('\n');
}

/** str reads a string flag. */
export function str(f: ParsedFlags, name: string): string {
  const v = f.values.get(name);
  return typeof v === 'string' ? v : '';
}

/** bool reads a bool flag. */
export function bool(f: ParsedFlags, name: string): boolean {
  return f.values.get(name) === true;
}

/** list reads a repeatable flag. */
export function list(f: ParsedFlags, name: string): readonly string[] {
  const v = f.values.get(name);
  return Array.isArray(v) ? v : [];
}
