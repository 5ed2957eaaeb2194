/**
 * Kubernetes container logs from the node's files: the kubelet links every container's log
 * (CRI format: `<RFC 3339 nano> stdout|stderr F|P <message>`) as
 * `/var/log/containers/<pod>_<namespace>_<container>-<id>.log`. They are followed with the
 * file tailer (rotation, positions), parsed as CRI lines (partial `P` lines joined per
 * stream), and labelled `namespace`, `pod`, `container` from the file name.
 * @module
 */
import type { Logger, Registry } from '../../instrument/index.js';
import type { LogSink } from '../ship/index.js';
import { FileTailer } from '../tail/index.js';

/** CriLogFilesOptions configure criLogFiles. */
export interface CriLogFilesOptions {
  readonly sink: LogSink;
  /** Globs of the CRI log files (default `/var/log/containers/*.log`). */
  readonly include?: readonly string[];
  /** Labels of every stream (default `job="kubernetes-pods"`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** For files present at the very first start (default `end`). */
  readonly startAt?: 'beginning' | 'end';
  readonly pollIntervalMs?: number;
  readonly registry?: Registry;
  readonly logger?: Logger;
}

const NAME = /^([a-z0-9][-a-z0-9.]*)_([a-z0-9][-a-z0-9]*)_(.+)-([0-9a-f]{64})\.log$/;

/** criFileLabels reads namespace, pod, container and container id from a kubelet log link name; undefined when it is not one. */
export function criFileLabels(path: string): { namespace: string; pod: string; container: string; container_id: string } | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const m = NAME.exec(base);
  if (m === null) return undefined;
  return { pod: m[1]!, namespace: m[2]!, container: m[3]!, container_id: m[4]! };
}

/** criLogFiles returns a file tailer for the kubelet's container log files. */
export function criLogFiles(options: CriLogFilesOptions): FileTailer {
  const { sink, include = ['/var/log/containers/*.log'], labels = { job: 'kubernetes-pods' }, startAt = 'end', pollIntervalMs, registry, logger } = options;
  return new FileTailer({
    include,
    sink,
    labels,
    startAt,
    sourcePrefix: 'cri',
    filenameLabel: false,
    // The container id changes with every restart: a field would do, a label would not; keep the three names.
    labelsFor: (path): Readonly<Record<string, string>> => {
      const l = criFileLabels(path);
      return l === undefined ? {} : { namespace: l.namespace, pod: l.pod, container: l.container };
    },
    multiline: false,
    ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
    ...(registry === undefined ? {} : { registry }),
    ...(logger === undefined ? {} : { logger }),
  });
}
