/**
 * Kept-open cgroup files: a container's interface files are read every cycle, and opening a
 * cgroupfs file (path walk, kernfs open, seq_file set-up, close) costs more than reading it.
 * A file the kernel makes in one show call is made afresh by a read at offset 0 through the
 * same descriptor, so its descriptor is kept from one cycle to the next. cgroup.procs and
 * tasks are not: they keep a task iterator per open file, and a second read at offset 0
 * through the same descriptor shows the tasks of the first (seen on Linux 6.x).
 * @module
 */
import { closeSync, openSync } from 'node:fs';
import { readTextAt } from '../host/index.js';
import { isGone, readCgroupFile } from './read-cgroup-file.js';

/** FdBudget caps the descriptors all KeptFiles of a collector hold together. */
export class FdBudget {
  readonly max: number;
  #used = 0;

  constructor(max: number) {
    this.max = max;
  }

  /** used is how many descriptors are kept now. */
  get used(): number {
    return this.#used;
  }

  /** take reserves one descriptor; false when the budget is spent. */
  take(): boolean {
    if (this.#used >= this.max) return false;
    this.#used++;
    return true;
  }

  /** give returns n descriptors. */
  give(n: number): void {
    this.#used -= n;
  }
}

/**
 * KeptFiles reads one cgroup's files, keeping the descriptors of single-record files open
 * (within the budget). A read that fails on a kept descriptor (ENODEV once the cgroup is
 * removed, perhaps made again under the same path) closes it and opens the path again.
 * close() must be called when the cgroup is no longer read.
 */
export class KeptFiles {
  readonly #budget: FdBudget;
  readonly #fds = new Map<string, number>();

  constructor(budget: FdBudget) {
    this.#budget = budget;
  }

  /** size is how many descriptors are kept. */
  get size(): number {
    return this.#fds.size;
  }

  /** read is readCgroupFile through a kept descriptor where it can be: the text, or undefined when the file or its cgroup is gone. */
  read(path: string, singleRecord: boolean): string | undefined {
    if (!singleRecord) return readCgroupFile(path, false);
    const kept = this.#fds.get(path);
    if (kept !== undefined) {
      try {
        return readTextAt(kept, true);
      } catch {
        this.#fds.delete(path);
        this.#budget.give(1);
        closeSync(kept);
      }
    }
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      if (isGone(e)) return undefined;
      throw e;
    }
    let text: string;
    try {
      text = readTextAt(fd, true);
    } catch (e) {
      closeSync(fd);
      if (isGone(e)) return undefined;
      throw e;
    }
    if (this.#budget.take()) this.#fds.set(path, fd);
    else closeSync(fd);
    return text;
  }

  /** close closes every kept descriptor. */
  close(): void {
    for (const fd of this.#fds.values()) closeSync(fd);
    this.#budget.give(this.#fds.size);
    this.#fds.clear();
  }
}
