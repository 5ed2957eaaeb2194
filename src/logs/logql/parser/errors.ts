/**
 * Errors of the LogQL parser.
 * @module
 */
import { lineCol, type PositionRange } from '../../../model/index.js';

/**
 * ParseError reports where a query failed to parse: `range` holds 0-based UTF-16 offsets (end
 * exclusive); the message reads `<line>:<col>: parse error: <detail>`.
 */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  constructor(
    readonly query: string,
    readonly range: PositionRange,
    readonly detail: string,
  ) {
    super(`${lineCol(query, range.start)}: parse error: ${detail}`);
  }
}
