/**
 * A parser for the Go text/template subset LogQL's `line_format` and `label_format` accept.
 * Errors name the template offset; the LogQL parser maps them to the string literal's range.
 * @module
 */
import { unquoteGo } from './go-string.js';
import type { TemplateArg, TemplateCommand, TemplateNode, TemplatePipe } from './template-ast.js';

/** TemplateSyntaxError reports a template that does not parse; `offset` is within the template. */
export class TemplateSyntaxError extends Error {
  override readonly name = 'TemplateSyntaxError';
  constructor(
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`template: ${detail}`);
  }
}

/**
 * TEMPLATE_FUNCTIONS lists the functions a template may call: Go's builtins and the ones Loki
 * adds (its own and the sprig subset).
 */
export const TEMPLATE_FUNCTIONS: ReadonlySet<string> = new Set([
  // Go text/template builtins.
  'and', 'or', 'not', 'len', 'index', 'slice', 'print', 'printf', 'println', 'html', 'js', 'urlquery',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'call',
  // Loki's own.
  'ToLower', 'ToUpper', 'Replace', 'Trim', 'TrimLeft', 'TrimRight', 'TrimPrefix', 'TrimSuffix', 'TrimSpace',
  'regexReplaceAll', 'regexReplaceAllLiteral', 'count', 'urldecode', 'urlencode', 'bytes', 'duration',
  'duration_seconds', 'unixEpochMillis', 'unixEpochNanos', 'toDateInZone', '__line__', '__timestamp__',
  'alignLeft', 'alignRight', 'unixToTime',
  // The sprig subset Loki exposes.
  'b64enc', 'b64dec', 'lower', 'upper', 'title', 'trunc', 'substr', 'contains', 'hasPrefix', 'hasSuffix',
  'indent', 'nindent', 'replace', 'repeat', 'trim', 'trimAll', 'trimSuffix', 'trimPrefix', 'int', 'float64',
  'add', 'sub', 'mul', 'div', 'mod', 'addf', 'subf', 'mulf', 'divf', 'max', 'min', 'maxf', 'minf', 'ceil',
  'floor', 'round', 'fromJson', 'date', 'toDate', 'now', 'unixEpoch', 'default',
]);

type Tok =
  | { k: 'eof'; pos: number }
  | { k: 'close'; pos: number; trim: boolean }
  | { k: 'ident' | 'field' | 'var' | 'string' | 'number' | 'char'; pos: number; text: string; value?: string }
  | { k: '|' | '(' | ')' | ':=' | '=' | ','; pos: number };

/** parseTemplate parses a template; throws TemplateSyntaxError. */
export function parseTemplate(src: string): TemplateNode {
  return new TemplateParser(src).parse();
}

class TemplateParser {
  readonly #src: string;
  #pos = 0;
  #toks: Tok[] = [];
  #ti = 0;
  #vars: string[][] = [['$']];

  constructor(src: string) {
    this.#src = src;
  }

  parse(): TemplateNode {
    const { list, end } = this.#list();
    if (end !== undefined) throw new TemplateSyntaxError(end.pos, `unexpected {{${end.word}}}`);
    return list;
  }

  // list parses text and actions until EOF or a control word ({{else}}, {{end}}).
  #list(): { list: TemplateNode; end: { word: string; pos: number; toks: Tok[] } | undefined } {
    const nodes: TemplateNode[] = [];
    let trimNext = false;
    for (;;) {
      const open = this.#src.indexOf('{{', this.#pos);
      let text = this.#src.slice(this.#pos, open < 0 ? undefined : open);
      if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
      if (open < 0) {
        if (text !== '') nodes.push({ kind: 'text', text });
        this.#pos = this.#src.length;
        return { list: { kind: 'list', nodes }, end: undefined };
      }
      const trimLeft = this.#src.startsWith('{{- ', open) || this.#src.startsWith('{{-\t', open) || this.#src.startsWith('{{-\n', open);
      if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
      if (text !== '') nodes.push({ kind: 'text', text });
      this.#pos = open + (trimLeft ? 3 : 2);
      // Comments: {{/* … */}}.
      const afterWs = this.#skipSpace(this.#pos);
      if (this.#src.startsWith('/*', afterWs)) {
        const close = this.#src.indexOf('*/', afterWs + 2);
        if (close < 0) throw new TemplateSyntaxError(afterWs, 'unclosed comment');
        let p = this.#skipSpace(close + 2);
        let trim = false;
        if (this.#src.startsWith('-}}', p)) {
          trim = true;
          p += 1;
        }
        if (!this.#src.startsWith('}}', p)) throw new TemplateSyntaxError(p, 'comment ends before closing delimiter');
        this.#pos = p + 2;
        trimNext = trim;
        continue;
      }
      this.#toks = this.#lexAction();
      this.#ti = 0;
      const first = this.#peek();
      if (first.k === 'ident' && ['else', 'end'].includes(first.text)) {
        this.#ti++;
        return { list: { kind: 'list', nodes }, end: { word: first.text, pos: first.pos, toks: this.#toks.slice(this.#ti) } };
      }
      const close = this.#toks[this.#toks.length - 1] as { k: 'close'; trim: boolean; pos: number };
      trimNext = close.trim;
      if (first.k === 'ident' && ['if', 'with', 'range'].includes(first.text)) {
        this.#ti++;
        nodes.push(this.#control(first.text as 'if' | 'with' | 'range', first.pos));
        trimNext = this.#lastTrim;
        continue;
      }
      if (first.k === 'ident' && ['define', 'template', 'block', 'break', 'continue'].includes(first.text)) {
        throw new TemplateSyntaxError(first.pos, `{{${first.text}}} is not supported`);
      }
      if (first.k === 'close') throw new TemplateSyntaxError(first.pos, 'missing value for command');
      const pipe = this.#pipe();
      this.#expectClose();
      nodes.push({ kind: 'action', pipe });
    }
  }

  #lastTrim = false;

  #control(kind: 'if' | 'with' | 'range', pos: number): TemplateNode {
    this.#vars.push([]);
    const branches: { cond: TemplatePipe; body: TemplateNode }[] = [];
    let cond = this.#pipe();
    this.#expectClose();
    let otherwise: TemplateNode | undefined;
    for (;;) {
      const { list, end } = this.#list();
      if (end === undefined) throw new TemplateSyntaxError(pos, `unexpected EOF: {{${kind}}} without {{end}}`);
      branches.push({ cond, body: list });
      this.#toks = end.toks;
      this.#ti = 0;
      if (end.word === 'end') {
        this.#expectClose();
        break;
      }
      // else: plain, or `else if` / `else with` chaining.
      const nx = this.#peek();
      if (nx.k === 'ident' && (nx.text === 'if' || nx.text === 'with') && kind !== 'range') {
        if (nx.text !== kind) throw new TemplateSyntaxError(nx.pos, `{{else ${nx.text}}} inside {{${kind}}}`);
        this.#ti++;
        cond = this.#pipe();
        this.#expectClose();
        continue;
      }
      this.#expectClose();
      const rest = this.#list();
      if (rest.end === undefined || rest.end.word !== 'end') throw new TemplateSyntaxError(pos, `expected {{end}} for {{${kind}}}`);
      this.#toks = rest.end.toks;
      this.#ti = 0;
      this.#expectClose();
      otherwise = rest.list;
      break;
    }
    this.#vars.pop();
    if (kind === 'range') return { kind: 'range', pipe: branches[0]!.cond, body: branches[0]!.body, otherwise };
    return { kind, branches, otherwise };
  }

  #expectClose(): void {
    const t = this.#next();
    if (t.k !== 'close') throw new TemplateSyntaxError(t.pos, `unexpected ${describe(t)} in command`);
    this.#lastTrim = t.trim;
  }

  #peek(): Tok {
    return this.#toks[this.#ti] ?? { k: 'eof', pos: this.#src.length };
  }

  #next(): Tok {
    const t = this.#peek();
    this.#ti++;
    return t;
  }

  #pipe(): TemplatePipe {
    const decl: string[] = [];
    let assign = false;
    // Declarations: $x := … or $x, $y := … (range).
    const save = this.#ti;
    {
      const names: string[] = [];
      let t = this.#peek();
      while (t.k === 'var') {
        names.push(t.text);
        this.#ti++;
        t = this.#peek();
        if (t.k === ',') {
          this.#ti++;
          t = this.#peek();
          continue;
        }
        break;
      }
      t = this.#peek();
      if (names.length > 0 && (t.k === ':=' || t.k === '=')) {
        this.#ti++;
        assign = t.k === '=';
        decl.push(...names);
        if (!assign) this.#vars[this.#vars.length - 1]!.push(...names);
      } else {
        this.#ti = save;
      }
    }
    const cmds: TemplateCommand[] = [];
    for (;;) {
      cmds.push(this.#command());
      const t = this.#peek();
      if (t.k === '|') {
        this.#ti++;
        continue;
      }
      break;
    }
    return { decl, assign, cmds };
  }

  #command(): TemplateCommand {
    const args: TemplateArg[] = [];
    for (;;) {
      const t = this.#peek();
      if (t.k === 'close' || t.k === '|' || t.k === ')' || t.k === 'eof') break;
      args.push(this.#operand());
    }
    if (args.length === 0) throw new TemplateSyntaxError(this.#peek().pos, 'missing value for command');
    return { args };
  }

  #operand(): TemplateArg {
    const t = this.#next();
    switch (t.k) {
      case 'field':
        return t.text === '.' ? { kind: 'dot' } : { kind: 'field', path: t.text.slice(1).split('.') };
      case 'var': {
        const [name, ...path] = t.text.split('.');
        if (!this.#vars.some((scope) => scope.includes(name!))) throw new TemplateSyntaxError(t.pos, `undefined variable "${name}"`);
        return { kind: 'variable', name: name!, path };
      }
      case 'string':
        return { kind: 'string', value: t.value! };
      case 'char':
        return { kind: 'number', value: t.value!.codePointAt(0) ?? 0, text: t.text };
      case 'number': {
        const v = Number(t.text.replace(/_/g, ''));
        if (Number.isNaN(v)) throw new TemplateSyntaxError(t.pos, `bad number syntax: "${t.text}"`);
        return { kind: 'number', value: v, text: t.text };
      }
      case 'ident':
        if (t.text === 'true' || t.text === 'false') return { kind: 'bool', value: t.text === 'true' };
        if (t.text === 'nil') return { kind: 'nil' };
        if (!TEMPLATE_FUNCTIONS.has(t.text)) throw new TemplateSyntaxError(t.pos, `function "${t.text}" not defined`);
        return { kind: 'ident', name: t.text };
      case '(': {
        const pipe = this.#pipe();
        const c = this.#next();
        if (c.k !== ')') throw new TemplateSyntaxError(c.pos, 'unclosed left paren');
        // A field chain may follow a parenthesized pipeline: (…).a.b
        const f = this.#peek();
        let path: string[] = [];
        if (f.k === 'field' && f.text !== '.' && f.pos === (c as { pos: number }).pos + 1) {
          this.#ti++;
          path = f.text.slice(1).split('.');
        }
        return { kind: 'pipe', pipe, path };
      }
      default:
        throw new TemplateSyntaxError(t.pos, `unexpected ${describe(t)} in operand`);
    }
  }

  #skipSpace(p: number): number {
    while (p < this.#src.length && ' \t\r\n'.includes(this.#src[p]!)) p++;
    return p;
  }

  // lexAction tokenizes from #pos to the closing delimiter (inclusive), leaving #pos after it.
  #lexAction(): Tok[] {
    const s = this.#src;
    const toks: Tok[] = [];
    let p = this.#pos;
    for (;;) {
      p = this.#skipSpace(p);
      if (p >= s.length) throw new TemplateSyntaxError(p, 'unclosed action');
      if (s.startsWith('-}}', p) && p > 0 && ' \t\r\n'.includes(s[p - 1]!)) {
        toks.push({ k: 'close', pos: p, trim: true });
        this.#pos = p + 3;
        return toks;
      }
      if (s.startsWith('}}', p)) {
        toks.push({ k: 'close', pos: p, trim: false });
        this.#pos = p + 2;
        return toks;
      }
      const c = s[p]!;
      if (c === '|' || c === '(' || c === ')' || c === ',') {
        toks.push({ k: c, pos: p });
        p++;
      } else if (c === ':' && s[p + 1] === '=') {
        toks.push({ k: ':=', pos: p });
        p += 2;
      } else if (c === '=') {
        toks.push({ k: '=', pos: p });
        p++;
      } else if (c === '"' || c === '`') {
        const end = findStringEnd(s, p);
        if (end < 0) throw new TemplateSyntaxError(p, 'unterminated quoted string');
        const text = s.slice(p, end);
        let value: string;
        try {
          value = unquoteGo(text);
        } catch (e) {
          throw new TemplateSyntaxError(p, (e as Error).message);
        }
        toks.push({ k: 'string', pos: p, text, value });
        p = end;
      } else if (c === "'") {
        const end = findStringEnd(s, p);
        if (end < 0) throw new TemplateSyntaxError(p, 'unterminated character constant');
        const text = s.slice(p, end);
        let value: string;
        try {
          value = unquoteGo('"' + text.slice(1, -1).replace(/"/g, '\\"') + '"');
        } catch (e) {
          throw new TemplateSyntaxError(p, (e as Error).message);
        }
        toks.push({ k: 'char', pos: p, text, value });
        p = end;
      } else if (c === '.' || c === '$') {
        const m = /^[.$][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(s.slice(p))!;
        if (c === '.' && /^\.[0-9]/.test(m[0])) {
          const n = /^\.[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?/.exec(s.slice(p))!;
          toks.push({ k: 'number', pos: p, text: n[0] });
          p += n[0].length;
          continue;
        }
        toks.push({ k: c === '.' ? 'field' : 'var', pos: p, text: m[0] });
        p += m[0].length;
      } else if (/[0-9+-]/.test(c)) {
        const m = /^[+-]?(?:0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+)/.exec(s.slice(p));
        if (m === null) throw new TemplateSyntaxError(p, `bad character ${JSON.stringify(c)}`);
        toks.push({ k: 'number', pos: p, text: m[0] });
        p += m[0].length;
      } else if (/[A-Za-z_]/.test(c)) {
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(p))!;
        toks.push({ k: 'ident', pos: p, text: m[0] });
        p += m[0].length;
      } else {
        throw new TemplateSyntaxError(p, `bad character ${JSON.stringify(c)}`);
      }
    }
  }
}

function findStringEnd(s: string, p: number): number {
  const q = s[p]!;
  for (let i = p + 1; i < s.length; i++) {
    const c = s[i]!;
    if (q !== '`' && c === '\\') {
      i++;
      continue;
    }
    if (q !== '`' && c === '\n') return -1;
    if (c === q) return i + 1;
  }
  return -1;
}

function describe(t: Tok): string {
  switch (t.k) {
    case 'eof':
      return 'EOF';
    case 'close':
      return '"}}"';
    case 'ident':
    case 'field':
    case 'var':
    case 'string':
    case 'number':
    case 'char':
      return `<${t.text}>`;
    default:
      return `"${t.k}"`;
  }
}
