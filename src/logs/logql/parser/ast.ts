/**
 * The LogQL syntax tree: plain readonly data, discriminated on `kind`, every node with the
 * source range it was parsed from. Log queries and metric queries are distinct types, as in
 * Loki's grammar; the engine evaluates them in its own switch.
 * @module
 */
import type { MatchType, PositionRange } from '../../../model/index.js';
import type { TemplateNode } from './template-ast.js';

/** Expr is a whole LogQL query: a log query (returns lines) or a metric expression. */
export type Expr = LogQuery | MetricExpr;

/** MetricExpr is an expression that yields numbers: vectors, matrices or scalars. */
export type MetricExpr = RangeAggregation | VectorAggregation | BinaryExpr | NumberLiteral | VectorLiteral | LabelReplace;

/** StreamMatcher is one `name op "value"` of a stream selector. */
export interface StreamMatcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
  readonly range: PositionRange;
}

/** LogQuery is a stream selector with its pipeline: `{app="x"} |= "err" | json`. */
export interface LogQuery {
  readonly kind: 'logQuery';
  readonly matchers: readonly StreamMatcher[];
  readonly pipeline: readonly Stage[];
  readonly range: PositionRange;
}

/** Stage is one step of a log pipeline. */
export type Stage =
  | LineFilterStage
  | JsonStage
  | LogfmtStage
  | RegexpStage
  | PatternStage
  | UnpackStage
  | LabelFilterStage
  | LineFormatStage
  | LabelFormatStage
  | DropStage
  | KeepStage
  | DecolorizeStage;

/** LineFilterOp is a line filter operator: contains, not contains, regex, not regex, pattern, not pattern. */
export type LineFilterOp = '|=' | '!=' | '|~' | '!~' | '|>' | '!>';

/** LineFilterValue is one alternative of a line filter: a string or an `ip("cidr")`. */
export type LineFilterValue = { readonly kind: 'text'; readonly value: string } | { readonly kind: 'ip'; readonly value: string };

/** LineFilterStage keeps lines by content; several values are alternatives (`|= "a" or "b"`). */
export interface LineFilterStage {
  readonly kind: 'lineFilter';
  readonly op: LineFilterOp;
  readonly values: readonly LineFilterValue[];
  readonly range: PositionRange;
}

/** ExtractionParam names a label and the expression extracting it (`| json a="b.c[0]"`). */
export interface ExtractionParam {
  readonly label: string;
  readonly expr: string;
}

/** JsonStage extracts labels from a JSON line, all of them or the given ones. */
export interface JsonStage {
  readonly kind: 'json';
  readonly params: readonly ExtractionParam[];
  readonly range: PositionRange;
}

/** LogfmtStage extracts labels from a logfmt line. */
export interface LogfmtStage {
  readonly kind: 'logfmt';
  readonly strict: boolean;
  readonly keepEmpty: boolean;
  readonly params: readonly ExtractionParam[];
  readonly range: PositionRange;
}

/** RegexpStage extracts the named groups of an RE2 regex. */
export interface RegexpStage {
  readonly kind: 'regexp';
  readonly pattern: string;
  readonly range: PositionRange;
}

/** PatternStage extracts labels with a `<name>` pattern. */
export interface PatternStage {
  readonly kind: 'pattern';
  readonly pattern: string;
  readonly range: PositionRange;
}

/** UnpackStage unpacks lines packed by promtail's `pack` stage. */
export interface UnpackStage {
  readonly kind: 'unpack';
  readonly range: PositionRange;
}

/** CmpOp is a numeric comparison of label filters. */
export type CmpOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

/** LabelFilterExpr is a boolean expression over labels. */
export type LabelFilterExpr =
  | { readonly kind: 'and' | 'or'; readonly lhs: LabelFilterExpr; readonly rhs: LabelFilterExpr; readonly range: PositionRange }
  | { readonly kind: 'labelMatch'; readonly name: string; readonly type: MatchType; readonly value: string; readonly range: PositionRange }
  | { readonly kind: 'numberFilter'; readonly name: string; readonly op: CmpOp; readonly value: number; readonly range: PositionRange }
  | { readonly kind: 'durationFilter'; readonly name: string; readonly op: CmpOp; readonly seconds: number; readonly range: PositionRange }
  | { readonly kind: 'bytesFilter'; readonly name: string; readonly op: CmpOp; readonly bytes: number; readonly range: PositionRange }
  | { readonly kind: 'ipFilter'; readonly name: string; readonly op: '=' | '!='; readonly cidr: string; readonly range: PositionRange };

/** LabelFilterStage keeps entries whose labels satisfy an expression. */
export interface LabelFilterStage {
  readonly kind: 'labelFilter';
  readonly expr: LabelFilterExpr;
  readonly range: PositionRange;
}

/** LineFormatStage rewrites the line with a Go template. */
export interface LineFormatStage {
  readonly kind: 'lineFormat';
  readonly template: string;
  readonly tree: TemplateNode;
  readonly range: PositionRange;
}

/** LabelFormatItem renames a label (`dst=src`) or sets it from a template (`dst="{{…}}"`). */
export type LabelFormatItem =
  | { readonly kind: 'rename'; readonly dst: string; readonly src: string }
  | { readonly kind: 'template'; readonly dst: string; readonly template: string; readonly tree: TemplateNode };

/** LabelFormatStage renames or sets labels. */
export interface LabelFormatStage {
  readonly kind: 'labelFormat';
  readonly items: readonly LabelFormatItem[];
  readonly range: PositionRange;
}

/** DropKeepItem names a label, optionally only when its value matches. */
export interface DropKeepItem {
  readonly name: string;
  readonly matcher?: { readonly type: MatchType; readonly value: string };
}

/** DropStage removes labels. */
export interface DropStage {
  readonly kind: 'drop';
  readonly items: readonly DropKeepItem[];
  readonly range: PositionRange;
}

/** KeepStage keeps only the named labels. */
export interface KeepStage {
  readonly kind: 'keep';
  readonly items: readonly DropKeepItem[];
  readonly range: PositionRange;
}

/** DecolorizeStage strips ANSI color sequences from the line. */
export interface DecolorizeStage {
  readonly kind: 'decolorize';
  readonly range: PositionRange;
}

/** UnwrapConversion turns a label value into a sample value. */
export type UnwrapConversion = 'none' | 'duration' | 'duration_seconds' | 'bytes';

/** Unwrap uses a label's value as the sample value; post-filters may drop errors. */
export interface Unwrap {
  readonly label: string;
  readonly conversion: UnwrapConversion;
  readonly postFilters: readonly LabelFilterStage[];
  readonly range: PositionRange;
}

/** LogRange is the argument of a range aggregation: a log query over a time window. */
export interface LogRange {
  readonly kind: 'logRange';
  readonly query: LogQuery;
  readonly unwrap: Unwrap | undefined;
  readonly rangeMs: number;
  readonly offsetMs: number;
  readonly range: PositionRange;
}

/** RangeOp names a range aggregation function. */
export type RangeOp =
  | 'count_over_time'
  | 'rate'
  | 'rate_counter'
  | 'bytes_over_time'
  | 'bytes_rate'
  | 'absent_over_time'
  | 'sum_over_time'
  | 'avg_over_time'
  | 'min_over_time'
  | 'max_over_time'
  | 'stddev_over_time'
  | 'stdvar_over_time'
  | 'quantile_over_time'
  | 'first_over_time'
  | 'last_over_time';

/** Grouping is `by (…)` or `without (…)`. */
export interface Grouping {
  readonly without: boolean;
  readonly labels: readonly string[];
}

/** RangeAggregation applies a function to each series' samples in a window. */
export interface RangeAggregation {
  readonly kind: 'rangeAgg';
  readonly op: RangeOp;
  readonly param: number | undefined;
  readonly arg: LogRange;
  readonly grouping: Grouping | undefined;
  readonly range: PositionRange;
}

/** VectorOp names a vector aggregation. */
export type VectorOp = 'sum' | 'avg' | 'min' | 'max' | 'count' | 'stddev' | 'stdvar' | 'topk' | 'bottomk' | 'sort' | 'sort_desc';

/** VectorAggregation aggregates the series of a vector. */
export interface VectorAggregation {
  readonly kind: 'vectorAgg';
  readonly op: VectorOp;
  readonly param: number | undefined;
  readonly grouping: Grouping | undefined;
  readonly arg: MetricExpr;
  readonly range: PositionRange;
}

/** BinaryOp is an arithmetic, comparison or set operator. */
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '^' | '==' | '!=' | '>' | '>=' | '<' | '<=' | 'and' | 'or' | 'unless';

/** VectorMatching is `on`/`ignoring` with `group_left`/`group_right`. */
export interface VectorMatching {
  readonly on: boolean;
  readonly labels: readonly string[];
  readonly card: 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';
  readonly include: readonly string[];
}

/** BinaryExpr combines two metric expressions. */
export interface BinaryExpr {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly lhs: MetricExpr;
  readonly rhs: MetricExpr;
  readonly bool: boolean;
  readonly matching: VectorMatching | undefined;
  readonly range: PositionRange;
}

/** NumberLiteral is a scalar. */
export interface NumberLiteral {
  readonly kind: 'number';
  readonly value: number;
  readonly range: PositionRange;
}

/** VectorLiteral is `vector(n)`: one series without labels. */
export interface VectorLiteral {
  readonly kind: 'vector';
  readonly value: number;
  readonly range: PositionRange;
}

/** LabelReplace is `label_replace(v, dst, replacement, src, regex)`. */
export interface LabelReplace {
  readonly kind: 'labelReplace';
  readonly arg: MetricExpr;
  readonly dst: string;
  readonly replacement: string;
  readonly src: string;
  readonly regex: string;
  readonly range: PositionRange;
}
