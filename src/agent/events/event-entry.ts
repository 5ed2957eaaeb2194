/**
 * The shape in which the agent hands container and kernel events to the log side: one log
 * entry with stream labels, a logfmt line and structured fields.
 *
 * Stream labels (kept few, so streams stay few):
 *   source    `docker`, `podman` (the engine that sent it) or `kernel` (OOM kills from /dev/kmsg)
 *   host      the node's host name
 *   type      the engine's object type: `container`, `image`, `network`, `volume`, `daemon`, …
 *   container the container name, for container events whose name is known (absent otherwise)
 *
 * Line (logfmt): `type=container action=die name=web image=nginx:1.25 id=0724af52ec76 exitCode=137`
 *
 * Fields: `type`, `action`, `action_detail` (the part after `:` of `health_status: healthy`),
 * `id` (full id), `name`, `image`, `scope`, `time_nano` (exact engine time), and every actor
 * attribute (container labels, exitCode, signal, …) under its own key, or `attr_<key>` if
 * the key is one of the above.
 * @module
 */

/** EventEntry is one event as a log entry. */
export interface EventEntry {
  readonly stream: Readonly<Record<string, string>>;
  /** Unix ms and nanoseconds past it (0–999 999), as LogEntry splits time. */
  readonly t: number;
  readonly ns: number;
  readonly line: string;
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * EventSink takes event entries: the agent's log shipper (to the server's log store) or, in
 * `vigil up`, the log store itself. `emit` may resolve once the entry is durable; the events
 * service awaits it, so a slow sink slows the stream rather than losing events.
 */
export interface EventSink {
  emit(entry: EventEntry): void | Promise<void>;
}

const CORE = new Set(['type', 'action', 'action_detail', 'id', 'name', 'image', 'scope', 'time_nano']);

/** logfmtValue quotes a value when logfmt needs it. */
export function logfmtValue(v: string): string {
  return v === '' || /[\s"=\\]/.test(v) || /[\u0000-\u001f]/.test(v) ? JSON.stringify(v) : v;
}

/** eventFields merges core fields and actor attributes (renaming attributes that collide). */
export function eventFields(core: Readonly<Record<string, string>>, attributes: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(core)) if (v !== '') out[k] = v;
  for (const [k, v] of Object.entries(attributes)) out[CORE.has(k) ? `attr_${k}` : k] = v;
  return out;
}

/** eventLine renders the logfmt line: the core keys in order, then a few telling attributes. */
export function eventLine(core: Readonly<Record<string, string>>, attributes: Readonly<Record<string, string>>): string {
  const parts: string[] = [];
  for (const k of ['type', 'action', 'action_detail', 'name', 'image']) if ((core[k] ?? '') !== '') parts.push(`${k}=${logfmtValue(core[k]!)}`);
  if ((core.id ?? '') !== '') parts.push(`id=${core.id!.slice(0, 12)}`);
  for (const k of ['exitCode', 'signal', 'task', 'pid', 'constraint']) if (attributes[k] !== undefined) parts.push(`${k}=${logfmtValue(attributes[k])}`);
  return parts.join(' ');
}
