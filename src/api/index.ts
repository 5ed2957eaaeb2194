/**
 * The HTTP layer: one server and router for every API (Prometheus, Loki, vigil) and the UI.
 * Nothing imports from here except cli/.
 * @module
 */
export { HttpServer, parseListenAddress } from './server.js';
export type { HttpServerOptions } from './server.js';
export { Router, HttpError, readBody, formParams, sendJSON, sendText } from './router.js';
export type { Handler, Request } from './router.js';
export { mountLifecycle } from './lifecycle-routes.js';
export type { LifecycleOptions } from './lifecycle-routes.js';
export { mountMetrics } from './metrics-route.js';
