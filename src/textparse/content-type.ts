/**
 * Choosing a parser from a scrape response's Content-Type, and the Accept header that asks for
 * the formats vigil reads, both exactly as Prometheus 2.42 does.
 * @module
 */
import { UnsupportedContentTypeError } from './errors.js';
import { OpenMetricsParser } from './openmetrics-parser.js';
import type { Parser } from './parser.js';
import { PromParser } from './prom-parser.js';

/** SCRAPE_ACCEPT_HEADER is the Accept header Prometheus 2.42 sends with every scrape. */
export const SCRAPE_ACCEPT_HEADER =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** TEXT_CONTENT_TYPE is the Content-Type of the text format 0.0.4 that vigil's writer produces. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** OPENMETRICS_CONTENT_TYPE is the Content-Type of OpenMetrics 1.0 text. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** ExpositionFormat names the formats vigil parses. */
export const ExpositionFormat = { Text: 'text', OpenMetrics: 'openmetrics' } as const;
/** One of ExpositionFormat's values. */
export type ExpositionFormat = (typeof ExpositionFormat)[keyof typeof ExpositionFormat];

/** ParserOptions apply to whichever parser is chosen. */
export interface ParserOptions {
  /** Rewrite histogram `le` and summary `quantile` values canonically (Prometheus 3.x). */
  readonly normalizeBucketLabels?: boolean;
}

/** MediaType is a parsed Content-Type: lower-cased type and parameters. */
export interface MediaType {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * parseMediaType parses a Content-Type value as Go's mime.ParseMediaType does (RFC 2045 tokens,
 * quoted-string parameter values, no duplicate parameters); undefined when malformed.
 */
export function parseMediaType(v: string): MediaType | undefined {
  const semi = v.indexOf(';');
  const type = (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
  const slash = type.indexOf('/');
  if (slash < 0) {
    if (!TOKEN.test(type)) return undefined;
  } else if (!TOKEN.test(type.slice(0, slash)) || !TOKEN.test(type.slice(slash + 1))) {
    return undefined;
  }
  const params: Record<string, string> = {};
  let rest = semi < 0 ? '' : v.slice(semi + 1);
  for (;;) {
    rest = rest.replace(/^[ \t]+/, '');
    if (rest === '') break;
    const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)[ \t]*=[ \t]*/.exec(rest);
    if (m === null) {
      // Go tolerates a trailing ";" but nothing else that is not a parameter.
      if (/^;[ \t]*$/.test(rest)) break;
      return undefined;
    }
    const key = m[1]!.toLowerCase();
    rest = rest.slice(m[0].length);
    let value: string;
    if (rest.startsWith('"')) {
      let i = 1;
      value = '';
      for (; i < rest.length && rest[i] !== '"'; i++) {
        if (rest[i] === '\\' && i + 1 < rest.length) i++;
        value += rest[i];
      }
      if (i >= rest.length) return undefined;
      rest = rest.slice(i + 1);
    } else {
      const t = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/.exec(rest);
      if (t === null) return undefined;
      value = t[0];
      rest = rest.slice(value.length);
    }
    if (Object.hasOwn(params, key)) return undefined;
    params[key] = value;
    rest = rest.replace(/^[ \t]+/, '');
    if (rest === '') break;
    if (!rest.startsWith(';')) return undefined;
    rest = rest.slice(1);
  }
  return { type, params };
}

/**
 * formatForContentType picks the exposition format for a scrape response as Prometheus 2.42
 * does: OpenMetrics for `application/openmetrics-text`, the text format for anything else,
 * including a missing or malformed Content-Type. Throws UnsupportedContentTypeError for the
 * protobuf format, which vigil never asks for.
 */
export function formatForContentType(contentType: string | undefined): ExpositionFormat {
  if (contentType === undefined || contentType === '') return ExpositionFormat.Text;
  const mt = parseMediaType(contentType);
  if (mt === undefined) return ExpositionFormat.Text;
  if (mt.type === 'application/openmetrics-text') return ExpositionFormat.OpenMetrics;
  if (mt.type === 'application/vnd.google.protobuf') throw new UnsupportedContentTypeError(contentType);
  return ExpositionFormat.Text;
}

/** newParser returns the parser for a scrape body, chosen by its Content-Type. */
export function newParser(body: Buffer, contentType: string | undefined, options: ParserOptions = {}): Parser {
  return formatForContentType(contentType) === ExpositionFormat.OpenMetrics
    ? new OpenMetricsParser(body, options)
    : new PromParser(body, options);
}
