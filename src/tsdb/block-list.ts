/**
 * Finding and opening the blocks of a data directory: every sub-directory named by a ULID with
 * a meta.json. Blocks that fail to open are returned as errors beside the good ones, so callers
 * report them and go on.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Block } from './block-reader.js';
import type { ChunkReaderOptions } from './chunks-reader.js';
import { META_FILENAME, isULID } from './meta.js';

/** listBlockDirs returns the block directories in `dir` (ULID names with a meta.json), sorted by name. */
export async function listBlockDirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || !isULID(e.name)) continue;
    try {
      await stat(join(dir, e.name, META_FILENAME));
      out.push(join(dir, e.name));
    } catch {
      // Not a block (yet): no meta.json.
    }
  }
  return out.sort();
}

/** OpenedBlocks is the result of opening a directory's blocks. */
export interface OpenedBlocks {
  /** The blocks that opened, sorted by minTime then ULID. */
  readonly blocks: Block[];
  /** The blocks that did not, with why. */
  readonly errors: { readonly dir: string; readonly error: Error }[];
}

/** openBlocks opens every block in `dir`. */
export async function openBlocks(dir: string, options: ChunkReaderOptions & { readonly verifyIndex?: boolean } = {}): Promise<OpenedBlocks> {
  const blocks: Block[] = [];
  const errors: { dir: string; error: Error }[] = [];
  for (const d of await listBlockDirs(dir)) {
    try {
      blocks.push(await Block.open(d, options));
    } catch (e) {
      errors.push({ dir: d, error: e as Error });
    }
  }
  blocks.sort((a, b) => a.minTime - b.minTime || (a.ulid < b.ulid ? -1 : a.ulid > b.ulid ? 1 : 0));
  return { blocks, errors };
}
