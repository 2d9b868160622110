// One lock per lab, held across processes (the CLI and the server may both apply): a lock file
// created with O_EXCL holding the owner's pid. A lock whose owner is dead is taken over.
// The lock file is also the record of a change in flight: an apply that makes no namespace writes
// no `applying` journal entry (apply.ts), so a lock file left by a dead process over an `applied`
// entry says that lab was interrupted mid-change (`staleLock`; recovery.ts converges it back).
// The file calls are synchronous: a few microseconds each on a local disk, where the thread pool's
// round trips cost ~0.15 ms each on every apply's path.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { EngineError } from './errors.js';

/** Whether process `pid` exists (one of another user's counts). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const inProcess = new Map<string, Promise<unknown>>();

const madeFolders = new Set<string>();

/** Removes the file at `path`; one already gone (or not removable) is left as it is. */
export const unlinkQuietly = (path: string) => {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
};

/** The pid in the lock file at `path` (0: no file, or no pid in it yet). */
function lockOwner(path: string): number {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return 0;
  }
}

async function acquireFile(path: string, timeoutMs: number): Promise<() => Promise<void>> {
  if (!madeFolders.has(dirname(path))) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 }); // the data directory: its owner's only
    madeFolders.add(dirname(path));
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return () => {
        unlinkQuietly(path);
        return Promise.resolve();
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = lockOwner(path);
      if (!owner || !alive(owner) || owner === process.pid) {
        unlinkQuietly(path);
        continue;
      }
      if (Date.now() > deadline)
        throw new EngineError('busy', `lab is busy: process ${owner} is changing it (lock ${path})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Runs `fn` holding the lab's lock; calls for the same lab queue, different labs run concurrently. */
export async function withLabLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const previous = inProcess.get(path) ?? Promise.resolve();
  const run = previous
    .catch(() => undefined)
    .then(async () => {
      const release = await acquireFile(path, timeoutMs);
      try {
        return await fn();
      } finally {
        await release();
      }
    });
  inProcess.set(path, run);
  try {
    return await run;
  } finally {
    if (inProcess.get(path) === run) inProcess.delete(path);
  }
}

/** Whether a live process (other than this one) holds the lock file at `path`. */
export function lockHeld(path: string): Promise<boolean> {
  const owner = lockOwner(path);
  return Promise.resolve(!!owner && owner !== process.pid && alive(owner));
}

/**
 * Whether the lock file at `path` was left by a process that is gone (killed mid-change). A lock
 * file with no pid yet is being made by a live process: not stale.
 */
export function staleLock(path: string): boolean {
  const owner = lockOwner(path);
  return !!owner && owner !== process.pid && !alive(owner);
}
