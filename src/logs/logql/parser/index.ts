/**
 * The LogQL parser: lexer, recursive-descent parser and syntax tree. Pure (no I/O, no Node
 * APIs), so the UI can use it in the browser.
 * @module
 */
export { parseExpr, parseLogSelector, parseMatchers, isValidIpPattern } from './parser.js';
export { ParseError } from './errors.js';
export { lex } from './lexer.js';
export type { Token, TokenKind } from './lexer.js';
export type {
  BinaryExpr,
  BinaryOp,
  CmpOp,
  DecolorizeStage,
  DropKeepItem,
  DropStage,
  Expr,
  ExtractionParam,
  Grouping,
  JsonStage,
  KeepStage,
  LabelFilterExpr,
  LabelFilterStage,
  LabelFormatItem,
  LabelFormatStage,
  LabelReplace,
  LineFilterOp,
  LineFilterStage,
  LineFilterValue,
  LineFormatStage,
  LogfmtStage,
  LogQuery,
  LogRange,
  MetricExpr,
  NumberLiteral,
  PatternStage,
  RangeAggregation,
  RangeOp,
  RegexpStage,
  Stage,
  StreamMatcher,
  UnpackStage,
  Unwrap,
  UnwrapConversion,
  VectorAggregation,
  VectorLiteral,
  VectorMatching,
  VectorOp,
} from './ast.js';
export type { TemplateArg, TemplateCommand, TemplateNode, TemplatePipe } from './template-ast.js';
export { parseTemplate, TemplateSyntaxError, TEMPLATE_FUNCTIONS } from './template-parser.js';
export { parseBytes, parseGoDuration } from './units.js';
export { quoteLogql, unquoteGo } from './go-string.js';
