import { describe, expect, it } from 'vitest';
import {
  ExpositionFormat,
  OpenMetricsParser,
  PromParser,
  SCRAPE_ACCEPT_HEADER,
  UnsupportedContentTypeError,
  formatForContentType,
  newParser,
  parseMediaType,
} from './index.js';

describe('content type selection (Prometheus 2.42)', () => {
  const cases: readonly { contentType: string | undefined; want: ExpositionFormat }[] = [
    { contentType: undefined, want: ExpositionFormat.Text },
    { contentType: '', want: ExpositionFormat.Text },
    { contentType: 'text/plain; version=0.0.4; charset=utf-8', want: ExpositionFormat.Text },
    { contentType: 'text/plain', want: ExpositionFormat.Text },
    { contentType: 'application/openmetrics-text; version=1.0.0; charset=utf-8', want: ExpositionFormat.OpenMetrics },
    { contentType: 'application/openmetrics-text;version=0.0.1', want: ExpositionFormat.OpenMetrics },
    { contentType: 'Application/OpenMetrics-Text', want: ExpositionFormat.OpenMetrics },
    { contentType: 'application/openmetrics-text; version="1.0.0"', want: ExpositionFormat.OpenMetrics },
    // Go's mime.ParseMediaType fails on these, and Prometheus then falls back to the text parser.
    { contentType: 'application/openmetrics-text; version', want: ExpositionFormat.Text },
    { contentType: 'application/openmetrics-text; a=1; a=2', want: ExpositionFormat.Text },
    { contentType: 'application/openmetrics text', want: ExpositionFormat.Text },
    { contentType: 'text/html', want: ExpositionFormat.Text },
  ];
  it.each(cases)('$contentType', ({ contentType, want }) => {
    expect(formatForContentType(contentType)).toBe(want);
  });

  it('refuses protobuf, which vigil never asks for', () => {
    expect(() => formatForContentType('application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited')).toThrow(
      UnsupportedContentTypeError,
    );
  });

  it('builds the matching parser', () => {
    expect(newParser(Buffer.from(''), 'text/plain')).toBeInstanceOf(PromParser);
    expect(newParser(Buffer.from(''), 'application/openmetrics-text')).toBeInstanceOf(OpenMetricsParser);
  });

  it('sends the Accept header of Prometheus 2.42', () => {
    expect(SCRAPE_ACCEPT_HEADER).toBe(
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    );
  });

  it('parses media type parameters', () => {
    expect(parseMediaType('Text/Plain; Version=0.0.4; charset="utf-8"')).toEqual({ type: 'text/plain', params: { version: '0.0.4', charset: 'utf-8' } });
    expect(parseMediaType('text/plain;')).toEqual({ type: 'text/plain', params: {} });
    expect(parseMediaType('/plain')).toBeUndefined();
  });
});
