// One lock per lab, held across processes (the CLI and the server may both apply): a lock file
// created with O_EXCL holding the owner's pid. A lock whose owner is dead is taken over.
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EngineError } from './errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const inProcess = new Map<string, Promise<unknown>>();

const madeFolders = new Set<string>();

async function acquireFile(path: string, timeoutMs: number): Promise<() => Promise<void>> {
  if (!madeFolders.has(dirname(path))) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 }); // the data directory: its owner's only
    madeFolders.add(dirname(path));
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return async () => {
        await unlink(path).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (!owner || !alive(owner) || owner === process.pid) {
        await unlink(path).catch(() => undefined);
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
export async function lockHeld(path: string): Promise<boolean> {
  const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  return !!owner && owner !== process.pid && alive(owner);
}
