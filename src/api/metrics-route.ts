/**
 * vigil's own `/metrics`, in the Prometheus text format 0.0.4.
 * @module
 */
import type { Registry } from '../instrument/index.js';
import { sendText, type Router } from './router.js';

/** mountMetrics serves the registry at /metrics. */
export function mountMetrics(r: Router, registry: Registry): void {
  r.handle('GET', '/metrics', (_req, res) => {
    sendText(res, 200, registry.expose(), 'text/plain; version=0.0.4; charset=utf-8');
  });
}
