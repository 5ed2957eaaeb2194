/**
 * The parts of the engine's container list and inspect answers the agent uses, decoded
 * defensively: podman's compatibility layer and older engines leave fields out or null.
 * @module
 */

/** ContainerSummary is one row of `GET /containers/json`. */
export interface ContainerSummary {
  /** Full 64-hex id. */
  readonly id: string;
  /** Name without the leading slash (the first of `Names`). */
  readonly name: string;
  /** Image as the user gave it (`nginx:1.25`, `localhost/vigil-busybox:latest`). */
  readonly image: string;
  readonly imageId: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `created`, `running`, `paused`, `restarting`, `removing`, `exited`, `dead`. */
  readonly state: string;
  /** Human status text (`Up 4 hours`). */
  readonly status: string;
  /** Creation time, Unix seconds. */
  readonly created: number;
}

/** ContainerDetails is what the agent reads from `GET /containers/{id}/json`. */
export interface ContainerDetails extends ContainerSummary {
  /** Host pid of the container's main process; 0 when it is not running. */
  readonly pid: number;
  readonly running: boolean;
  readonly oomKilled: boolean;
  readonly exitCode: number;
  readonly restartCount: number;
  /** `StartedAt` in Unix milliseconds (0 when never started). */
  readonly startedAt: number;
  /** `FinishedAt` in Unix milliseconds (0 when still running or never run). */
  readonly finishedAt: number;
  /** Whether the container has a TTY: its log stream is then raw, not multiplexed. */
  readonly tty: boolean;
  /** `HostConfig.CgroupParent` ('' when the engine's default applies). */
  readonly cgroupParent: string;
  /** Memory limit in bytes from `HostConfig.Memory`; 0 for none. */
  readonly memoryLimit: number;
  /** The log driver (`json-file`, `journald`, `k8s-file`, …); logs are readable through the API only for some. */
  readonly logDriver: string;
  /** Health status (`healthy`, `unhealthy`, `starting`) or '' without a health check. */
  readonly health: string;
}

type Obj = Record<string, unknown>;

/** parseContainerSummary decodes one row of the list answer. */
export function parseContainerSummary(raw: unknown): ContainerSummary {
  const o = obj(raw);
  const names = Array.isArray(o.Names) ? o.Names.filter((n): n is string => typeof n === 'string') : [];
  return {
    id: str(o.Id),
    name: stripSlash(names[0] ?? ''),
    image: str(o.Image),
    imageId: str(o.ImageID),
    labels: strMap(o.Labels),
    state: str(o.State),
    status: str(o.Status),
    created: num(o.Created),
  };
}

/** parseContainerDetails decodes an inspect answer. */
export function parseContainerDetails(raw: unknown): ContainerDetails {
  const o = obj(raw);
  const state = obj(o.State);
  const config = obj(o.Config);
  const host = obj(o.HostConfig);
  const logConfig = obj(host.LogConfig);
  const health = obj(state.Health);
  return {
    id: str(o.Id),
    name: stripSlash(str(o.Name)),
    // Config.Image is the name the user asked for; top-level Image is the image id.
    image: str(config.Image) || str(o.Image),
    imageId: str(o.Image),
    labels: strMap(config.Labels),
    state: str(state.Status),
    status: str(state.Status),
    created: Math.floor(parseTime(str(o.Created)) / 1000),
    pid: num(state.Pid),
    running: state.Running === true,
    oomKilled: state.OOMKilled === true,
    exitCode: num(state.ExitCode),
    restartCount: num(o.RestartCount),
    startedAt: parseTime(str(state.StartedAt)),
    finishedAt: parseTime(str(state.FinishedAt)),
    tty: config.Tty === true,
    cgroupParent: str(host.CgroupParent),
    memoryLimit: num(host.Memory),
    logDriver: str(logConfig.Type),
    health: str(health.Status),
  };
}

/** parseTime reads an engine time (RFC 3339 with up to nanoseconds) as Unix ms; the zero time `0001-01-01T00:00:00Z` and '' give 0. */
export function parseTime(s: string): number {
  if (s === '' || s.startsWith('0001-01-01')) return 0;
  const ms = Date.parse(s);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

function obj(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string') out[k] = x;
  return out;
}

function stripSlash(s: string): string {
  return s.startsWith('/') ? s.slice(1) : s;
}
