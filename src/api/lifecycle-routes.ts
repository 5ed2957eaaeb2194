/**
 * Prometheus's management endpoints: `/-/healthy`, `/-/ready`, `/-/reload`, `/-/quit`, with
 * Prometheus's answers so load balancers, operators and scripts work unchanged.
 * @module
 */
import type { Router } from './router.js';
import { sendText } from './router.js';

/** LifecycleOptions connects the endpoints to the process. */
export interface LifecycleOptions {
  /** Whether POST /-/reload and /-/quit are allowed (`--web.enable-lifecycle`). */
  readonly enableLifecycle: boolean;
  /** ready tells whether startup (WAL replay, first config) is done. */
  readonly ready: () => boolean;
  /** reload reloads the configuration; rejects with the reason. */
  readonly reload: () => Promise<void>;
  /** quit starts a graceful shutdown. */
  readonly quit: () => void;
}

/** mountLifecycle adds the management endpoints to a router. */
export function mountLifecycle(r: Router, o: LifecycleOptions): void {
  r.handle('GET', '/-/healthy', (_req, res) => sendText(res, 200, 'Prometheus Server is Healthy.\n'));
  r.handle('GET', '/-/ready', (_req, res) => {
    if (o.ready()) sendText(res, 200, 'Prometheus Server is Ready.\n');
    else sendText(res, 503, 'Service Unavailable\n');
  });
  r.handle(['POST', 'PUT'], '/-/reload', async (_req, res) => {
    if (!o.enableLifecycle) return sendText(res, 403, 'Lifecycle API is not enabled.\n');
    try {
      await o.reload();
      sendText(res, 200, '');
    } catch (e) {
      sendText(res, 500, `failed to reload config: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  });
  r.handle(['POST', 'PUT'], '/-/quit', (_req, res) => {
    if (!o.enableLifecycle) return sendText(res, 403, 'Lifecycle API is not enabled.\n');
    sendText(res, 200, 'Requesting termination... Goodbye!\n');
    o.quit();
  });
}
