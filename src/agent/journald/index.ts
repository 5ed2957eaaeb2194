/**
 * journald forwarding: follows `journalctl -o export --follow`, ships entries with their
 * fields, and resumes after a restart right after the cursor the server acknowledged.
 * @module
 */
export { JournaldOptionError } from './errors.js';
export { JournalExportReader } from './journal-export-reader.js';
export type { JournalExportEntry, JournalExportReaderOptions } from './journal-export-reader.js';
export { JournalFollower } from './journal-follower.js';
export type { JournalFollowerOptions, JournalPosition } from './journal-follower.js';
