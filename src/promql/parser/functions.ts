/**
 * The signatures of PromQL's functions, for type checking and for the engine's dispatch.
 * @module
 */
import type { ValueType } from './ast.js';

/** FunctionDef is a function's signature. */
export interface FunctionDef {
  readonly name: string;
  /** Argument types; with variadic ≠ 0 the last type repeats. */
  readonly argTypes: readonly ValueType[];
  /**
   * 0: exactly argTypes.length arguments; n > 0: up to n more of the last type (the last may also
   * be omitted, so at least length-1); -1: any number of the last type (at least length-1).
   */
  readonly variadic: number;
  readonly returnType: ValueType;
  /** Experimental in Prometheus (behind --enable-feature=promql-experimental-functions). */
  readonly experimental: boolean;
}

function def(name: string, argTypes: ValueType[], variadic: number, returnType: ValueType, experimental = false): FunctionDef {
  return { name, argTypes, variadic, returnType, experimental };
}

const DEFS: readonly FunctionDef[] = [
  def('abs', ['vector'], 0, 'vector'),
  def('absent', ['vector'], 0, 'vector'),
  def('absent_over_time', ['matrix'], 0, 'vector'),
  def('acos', ['vector'], 0, 'vector'),
  def('acosh', ['vector'], 0, 'vector'),
  def('asin', ['vector'], 0, 'vector'),
  def('asinh', ['vector'], 0, 'vector'),
  def('atan', ['vector'], 0, 'vector'),
  def('atanh', ['vector'], 0, 'vector'),
  def('avg_over_time', ['matrix'], 0, 'vector'),
  def('ceil', ['vector'], 0, 'vector'),
  def('changes', ['matrix'], 0, 'vector'),
  def('clamp', ['vector', 'scalar', 'scalar'], 0, 'vector'),
  def('clamp_max', ['vector', 'scalar'], 0, 'vector'),
  def('clamp_min', ['vector', 'scalar'], 0, 'vector'),
  def('cos', ['vector'], 0, 'vector'),
  def('cosh', ['vector'], 0, 'vector'),
  def('count_over_time', ['matrix'], 0, 'vector'),
  def('day_of_month', ['vector'], 1, 'vector'),
  def('day_of_week', ['vector'], 1, 'vector'),
  def('day_of_year', ['vector'], 1, 'vector'),
  def('days_in_month', ['vector'], 1, 'vector'),
  def('deg', ['vector'], 0, 'vector'),
  def('delta', ['matrix'], 0, 'vector'),
  def('deriv', ['matrix'], 0, 'vector'),
  def('double_exponential_smoothing', ['matrix', 'scalar', 'scalar'], 0, 'vector', true),
  def('end', [], 0, 'scalar', true),
  def('exp', ['vector'], 0, 'vector'),
  def('first_over_time', ['matrix'], 0, 'vector'),
  def('floor', ['vector'], 0, 'vector'),
  def('histogram_avg', ['vector'], 0, 'vector'),
  def('histogram_count', ['vector'], 0, 'vector'),
  def('histogram_fraction', ['scalar', 'scalar', 'vector'], 0, 'vector'),
  def('histogram_quantile', ['scalar', 'vector'], 0, 'vector'),
  def('histogram_quantiles', ['vector', 'string', 'scalar', 'scalar'], 9, 'vector', true),
  def('histogram_stddev', ['vector'], 0, 'vector'),
  def('histogram_stdvar', ['vector'], 0, 'vector'),
  def('histogram_sum', ['vector'], 0, 'vector'),
  def('hour', ['vector'], 1, 'vector'),
  def('idelta', ['matrix'], 0, 'vector'),
  def('increase', ['matrix'], 0, 'vector'),
  def('info', ['vector', 'vector'], 1, 'vector', true),
  def('irate', ['matrix'], 0, 'vector'),
  def('label_join', ['vector', 'string', 'string', 'string'], -1, 'vector'),
  def('label_replace', ['vector', 'string', 'string', 'string', 'string'], 0, 'vector'),
  def('last_over_time', ['matrix'], 0, 'vector'),
  def('ln', ['vector'], 0, 'vector'),
  def('log10', ['vector'], 0, 'vector'),
  def('log2', ['vector'], 0, 'vector'),
  def('mad_over_time', ['matrix'], 0, 'vector', true),
  def('max_of', ['scalar', 'scalar'], 0, 'scalar', true),
  def('max_over_time', ['matrix'], 0, 'vector'),
  def('min_of', ['scalar', 'scalar'], 0, 'scalar', true),
  def('min_over_time', ['matrix'], 0, 'vector'),
  def('minute', ['vector'], 1, 'vector'),
  def('month', ['vector'], 1, 'vector'),
  def('pi', [], 0, 'scalar'),
  def('predict_linear', ['matrix', 'scalar'], 0, 'vector'),
  def('present_over_time', ['matrix'], 0, 'vector'),
  def('quantile_over_time', ['scalar', 'matrix'], 0, 'vector'),
  def('rad', ['vector'], 0, 'vector'),
  def('range', [], 0, 'scalar', true),
  def('rate', ['matrix'], 0, 'vector'),
  def('resets', ['matrix'], 0, 'vector'),
  def('round', ['vector', 'scalar'], 1, 'vector'),
  def('scalar', ['vector'], 0, 'scalar'),
  def('sgn', ['vector'], 0, 'vector'),
  def('sin', ['vector'], 0, 'vector'),
  def('sinh', ['vector'], 0, 'vector'),
  def('sort', ['vector'], 0, 'vector'),
  def('sort_by_label', ['vector', 'string'], -1, 'vector', true),
  def('sort_by_label_desc', ['vector', 'string'], -1, 'vector', true),
  def('sort_desc', ['vector'], 0, 'vector'),
  def('sqrt', ['vector'], 0, 'vector'),
  def('start', [], 0, 'scalar', true),
  def('start_timestamp', ['vector'], 0, 'vector', true),
  def('stddev_over_time', ['matrix'], 0, 'vector'),
  def('stdvar_over_time', ['matrix'], 0, 'vector'),
  def('step', [], 0, 'scalar', true),
  def('sum_over_time', ['matrix'], 0, 'vector'),
  def('tan', ['vector'], 0, 'vector'),
  def('tanh', ['vector'], 0, 'vector'),
  def('time', [], 0, 'scalar'),
  def('timestamp', ['vector'], 0, 'vector'),
  def('ts_of_first_over_time', ['matrix'], 0, 'vector', true),
  def('ts_of_last_over_time', ['matrix'], 0, 'vector', true),
  def('ts_of_max_over_time', ['matrix'], 0, 'vector', true),
  def('ts_of_min_over_time', ['matrix'], 0, 'vector', true),
  def('vector', ['scalar'], 0, 'vector'),
  def('year', ['vector'], 1, 'vector'),
];

/** FUNCTIONS maps every function name to its signature. */
export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(DEFS.map((d) => [d.name, d]));

/** getFunction looks a function up by name. */
export function getFunction(name: string): FunctionDef | undefined {
  return FUNCTIONS.get(name);
}
