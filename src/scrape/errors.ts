/**
 * Why a scrape failed. Messages follow Prometheus's, since they are shown as a target's
 * `lastError` and people search for them.
 * @module
 */

/** ScrapeHttpError: the target answered with a status other than 200. */
export class ScrapeHttpError extends Error {
  override readonly name = 'ScrapeHttpError';
  constructor(
    readonly status: number,
    readonly statusText: string,
  ) {
    super(`server returned HTTP status ${status} ${statusText}`.trimEnd());
  }
}

/** ScrapeRequestError: the request failed before a response (connection, TLS, timeout…). */
export class ScrapeRequestError extends Error {
  override readonly name = 'ScrapeRequestError';
  constructor(
    readonly url: string,
    detail: string,
    /** True when the scrape timeout expired. */
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(`Get ${JSON.stringify(url)}: ${detail}`, options);
  }
}

/** BodySizeLimitError: the (uncompressed) body reached body_size_limit. */
export class BodySizeLimitError extends Error {
  override readonly name = 'BodySizeLimitError';
  constructor(readonly limitBytes: number) {
    super('body size limit exceeded');
  }
}

/** SampleLimitError: more samples than sample_limit survived metric relabeling. */
export class SampleLimitError extends Error {
  override readonly name = 'SampleLimitError';
  constructor(
    readonly limit: number,
    readonly samples: number,
  ) {
    super('sample limit exceeded');
  }
}

/** LabelLimitError: a series broke label_limit, label_name_length_limit or label_value_length_limit. */
export class LabelLimitError extends Error {
  override readonly name = 'LabelLimitError';
  constructor(
    readonly limit: 'label_limit' | 'label_name_length_limit' | 'label_value_length_limit',
    message: string,
  ) {
    super(message);
  }
}

/** TargetLimitError: the pool has more targets than target_limit; every target fails. */
export class TargetLimitError extends Error {
  override readonly name = 'TargetLimitError';
  constructor(
    readonly targets: number,
    readonly limit: number,
  ) {
    super(`target_limit exceeded (number of targets: ${targets}, limit: ${limit})`);
  }
}

/** InvalidSeriesError: a scraped series has no metric name or an invalid name after relabeling. */
export class InvalidSeriesError extends Error {
  override readonly name = 'InvalidSeriesError';
  constructor(
    message: string,
    readonly series: string,
  ) {
    super(message);
  }
}

/** TargetIntervalError: a target's `__scrape_interval__`/`__scrape_timeout__` label does not parse. */
export class TargetIntervalError extends Error {
  override readonly name = 'TargetIntervalError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** OAuth2TokenError reports a token endpoint that did not hand out a token. */
export class OAuth2TokenError extends Error {
  override readonly name = 'OAuth2TokenError';
  constructor(
    readonly tokenUrl: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`oauth2: cannot fetch token from ${tokenUrl}: ${detail}`, options);
  }
}
