/**
 * Container events: the engine's events stream (and kernel OOM kills) as counters and as
 * log entries for the event sink.
 * @module
 */
export { EventsService } from './events-service.js';
export type { EventsServiceOptions } from './events-service.js';
export { eventFields, eventLine, logfmtValue } from './event-entry.js';
export type { EventEntry, EventSink } from './event-entry.js';
