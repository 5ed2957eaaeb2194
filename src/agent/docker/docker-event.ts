/**
 * One message of the engine's `/events` stream, normalised from Docker's and podman's JSON.
 * @module
 */
import { DockerStreamError } from './errors.js';

/**
 * DockerEvent is one engine event. `action` is the bare verb (`start`, `die`,
 * `health_status`); for actions the engine writes as `verb: detail` (`health_status:
 * healthy`, `exec_start: sh -c …`) the detail is in `actionDetail`. Time is split into Unix
 * milliseconds `t` and nanoseconds past that millisecond `ns`; `timeNano` is the engine's
 * exact nanosecond time as decimal text (it does not fit a double).
 */
export interface DockerEvent {
  /** Object type: `container`, `image`, `network`, `volume`, `daemon`, `plugin`, `service`, `node`, `secret`, `config`, podman's `system`. */
  readonly type: string;
  readonly action: string;
  readonly actionDetail: string;
  /** Id of the object (a container id for container events). */
  readonly actorId: string;
  /** Actor attributes: container labels plus `name`, `image`, `exitCode`, `signal`, … */
  readonly attributes: Readonly<Record<string, string>>;
  /** `local` or `swarm` when the engine says. */
  readonly scope: string;
  readonly t: number;
  readonly ns: number;
  readonly timeNano: string;
}

interface RawEvent {
  Type?: unknown;
  Action?: unknown;
  Actor?: { ID?: unknown; Attributes?: unknown };
  status?: unknown;
  id?: unknown;
  from?: unknown;
  scope?: unknown;
  time?: unknown;
  timeNano?: unknown;
}

const TIME_NANO_RE = /"timeNano"\s*:\s*"?(\d+)/;

/**
 * parseDockerEvent decodes one object of the stream. The nanosecond time is read from the
 * text itself because JSON.parse would round it. `offset` locates the object for errors.
 */
export function parseDockerEvent(text: string, path = '/events', offset = 0): DockerEvent {
  let raw: RawEvent;
  try {
    raw = JSON.parse(text) as RawEvent;
  } catch (e) {
    throw new DockerStreamError(path, offset, 'event is not valid JSON', { cause: e });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new DockerStreamError(path, offset, 'event is not a JSON object');
  // Engines before API 1.22 sent only status/id/from; newer ones send both forms.
  const type = str(raw.Type) || (raw.status !== undefined ? 'container' : '');
  const fullAction = str(raw.Action) || str(raw.status);
  const colon = fullAction.indexOf(':');
  const action = colon >= 0 ? fullAction.slice(0, colon).trim() : fullAction;
  const actionDetail = colon >= 0 ? fullAction.slice(colon + 1).trim() : '';
  const actor = raw.Actor !== null && typeof raw.Actor === 'object' ? raw.Actor : {};
  const attributes: Record<string, string> = {};
  if (actor.Attributes !== null && typeof actor.Attributes === 'object') {
    for (const [k, v] of Object.entries(actor.Attributes as Record<string, unknown>)) {
      if (typeof v === 'string') attributes[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') attributes[k] = String(v);
    }
  }
  if (raw.from !== undefined && attributes.image === undefined && typeof raw.from === 'string') attributes.image = raw.from;
  const actorId = str(actor.ID) || str(raw.id);

  let timeNano = TIME_NANO_RE.exec(text)?.[1] ?? '';
  if (timeNano === '' && typeof raw.time === 'number' && Number.isFinite(raw.time)) timeNano = `${Math.trunc(raw.time)}000000000`;
  const { t, ns } = splitNanos(timeNano);
  return { type, action, actionDetail, actorId, attributes, scope: str(raw.scope), t, ns, timeNano };
}

/** splitNanos splits decimal Unix nanoseconds into milliseconds and the nanoseconds past them. */
export function splitNanos(nanos: string): { t: number; ns: number } {
  if (nanos === '' || !/^\d+$/.test(nanos)) return { t: 0, ns: 0 };
  const padded = nanos.padStart(7, '0');
  return { t: Number(padded.slice(0, -6)), ns: Number(padded.slice(-6)) };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
