/**
 * journald forwarding: reads the journal files directly (or follows `journalctl -o export
 * --follow`), ships entries with their fields, and resumes after a restart right after the
 * cursor the server acknowledged.
 * @module
 */
export { JournaldOptionError, JournalFileError, Lz4Error } from './errors.js';
export { JournalExportReader } from './journal-export-reader.js';
export type { JournalExportEntry, JournalExportReaderOptions } from './journal-export-reader.js';
export { JournalFollower } from './journal-follower.js';
export type { JournalFollowerOptions, JournalPosition } from './journal-follower.js';
export { JournalFile, JournalState, IncompatibleFlag, newJournalEntry } from './journal-file.js';
export type { JournalData, JournalEntry, JournalFileOptions, JournalHeader } from './journal-file.js';
export { JournalFilesReader } from './journal-files-reader.js';
export type { JournalFilesReaderOptions, JournalRoot } from './journal-files-reader.js';
export { JournalMatch } from './journal-match.js';
export { formatJournalCursor, parseJournalCursor, writeJournalCursor, writeDecimal } from './journal-cursor.js';
export type { JournalCursor } from './journal-cursor.js';
export { followJournalFiles } from './follow-journal-files.js';
export type { FollowJournalFilesOptions, FollowResult } from './follow-journal-files.js';
export { decodeLz4Block } from './lz4-block.js';
export { JournalEntryEncoder } from './journal-entry-encoder.js';
export type { JournalEntryEncoderOptions } from './journal-entry-encoder.js';
