/**
 * The syntax tree of the Go text/template subset used by `line_format` and `label_format`:
 * text, actions with pipelines, `if`/`else if`/`else`, `range`, `with`, variables and the
 * `{{-`/`-}}` trim markers.
 * @module
 */

/** TemplateNode is a node of a parsed template. */
export type TemplateNode =
  | { readonly kind: 'list'; readonly nodes: readonly TemplateNode[] }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly pipe: TemplatePipe }
  | { readonly kind: 'if' | 'with'; readonly branches: readonly { readonly cond: TemplatePipe; readonly body: TemplateNode }[]; readonly otherwise: TemplateNode | undefined }
  | { readonly kind: 'range'; readonly pipe: TemplatePipe; readonly body: TemplateNode; readonly otherwise: TemplateNode | undefined };

/** TemplatePipe is `[$x :=] cmd | cmd | …`. */
export interface TemplatePipe {
  readonly decl: readonly string[];
  /** True for `=` (assignment to an existing variable) rather than `:=`. */
  readonly assign: boolean;
  readonly cmds: readonly TemplateCommand[];
}

/** TemplateCommand is one command: a function call or a single operand. */
export interface TemplateCommand {
  readonly args: readonly TemplateArg[];
}

/** TemplateArg is an operand of a command. */
export type TemplateArg =
  | { readonly kind: 'dot' }
  | { readonly kind: 'field'; readonly path: readonly string[] }
  | { readonly kind: 'variable'; readonly name: string; readonly path: readonly string[] }
  | { readonly kind: 'ident'; readonly name: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number; readonly text: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'nil' }
  | { readonly kind: 'pipe'; readonly pipe: TemplatePipe; readonly path: readonly string[] };
