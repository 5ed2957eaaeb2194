/**
 * The remote write/read protobuf messages, loaded at runtime with protobufjs from
 * `remote-prompb.proto` beside this module (or beside its source when running from `dist/`).
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** PROTO_FILENAME is the name of the message definitions file. */
export const PROTO_FILENAME = 'remote-prompb.proto';

let root: protobuf.Root | undefined;

function protoPath(): string {
  const candidates = [new URL(`./${PROTO_FILENAME}`, import.meta.url), new URL(`../../src/api/${PROTO_FILENAME}`, import.meta.url)];
  for (const u of candidates) {
    const p = fileURLToPath(u);
    if (existsSync(p)) return p;
  }
  throw new Error(`remote protocol definitions ${PROTO_FILENAME} not found beside ${fileURLToPath(import.meta.url)}`);
}

/** prompb returns the parsed `prometheus` protobuf package (parsed once). */
export function prompb(): protobuf.Root {
  root ??= protobuf.parse(readFileSync(protoPath(), 'utf8'), { keepCase: false }).root;
  return root;
}

/** prompbType looks up a message type of the `prometheus` package, e.g. `ReadRequest`. */
export function prompbType(name: string): protobuf.Type {
  return prompb().lookupType(`prometheus.${name}`);
}

/** MATCH_TYPES maps LabelMatcher.Type numbers to PromQL matcher operators. */
export const MATCH_TYPES = ['=', '!=', '=~', '!~'] as const;

/** RESPONSE_TYPE names ReadRequest.ResponseType values. */
export const RESPONSE_TYPE = { Samples: 0, StreamedXorChunks: 1 } as const;

/** longToNumber converts a protobufjs int64 (number or Long) to a number. */
export function longToNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v !== null && typeof v === 'object' && 'toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  if (typeof v === 'string') return Number(v);
  return 0;
}
