/**
 * The PromQL parser: lexer, recursive-descent parser, syntax tree, type checker and printer.
 * Pure and browser-safe: imports only model.
 * @module
 */
export {
  ValueType,
  aggregateTakesParam,
  children,
  documentedType,
  exprType,
  inspect,
  isComparisonOp,
  isSetOp,
} from './ast.js';
export type {
  AggregateExpr,
  AggregateOp,
  AtModifier,
  BinaryExpr,
  BinaryOp,
  Call,
  DurationExpr,
  DurationOp,
  Expr,
  MatchCardinality,
  MatrixSelector,
  NumberLiteral,
  Offset,
  ParenExpr,
  StringLiteral,
  SubqueryExpr,
  UnaryExpr,
  VectorMatching,
  VectorSelector,
} from './ast.js';
export { ParseError, positionString, utf8Length } from './errors.js';
export { FUNCTIONS, getFunction } from './functions.js';
export type { FunctionDef } from './functions.js';
export { lex } from './lexer.js';
export { goQuote } from './token.js';
export type { Token, TokenKind } from './token.js';
export { LiteralError, parseDurationMs, parseNumber } from './literals.js';
export { DEFAULT_MAX_DEPTH, goRound, parseExpr, parseMetricSelector, secondsToMs } from './parser.js';
export type { ParseOptions } from './parser.js';
export { MAX_LINE, formatDurationExpr, formatExpr, formatLabelName, formatMatcher, prettify } from './printer.js';
export { UnquoteError, isValidUtf8, quote, unquote } from './string-literal.js';
export { exprToJSON } from './ast-json.js';
export type { JSONValue } from './ast-json.js';
