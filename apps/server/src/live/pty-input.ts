// Keystrokes into a terminal's pty, bounded: a program that does not read its input would
// otherwise let node-pty queue writes in memory without end.
import type { SandboxPty } from '@patchbay/kernel';

/**
 * Input bytes waiting in node-pty's write queue, at most (a program that does not read its input).
 * Counted in bytes, not events: xterm sends one event per keystroke, so a limit on events dropped
 * the tail of a fast typist's line (or an e2e test's) while the shell was busy starting.
 */
export const MAX_PENDING_INPUT_BYTES = 256 * 1024;

/** Bytes node-pty has queued for the pty (its private queue of { buffer, offset }; 0 when a version has none). */
export function pendingInputBytes(pty: SandboxPty): number {
  const queue = (pty as unknown as { _writeStream?: { _writeQueue?: unknown } })._writeStream?._writeQueue;
  if (!Array.isArray(queue)) return 0;
  let bytes = 0;
  for (const task of queue as { buffer?: { length?: number }; offset?: number }[])
    bytes += (task.buffer?.length ?? 0) - (task.offset ?? 0);
  return bytes;
}

/**
 * Writes input to the pty unless MAX_PENDING_INPUT_BYTES are already waiting: then it is
 * discarded, as a tty discards typeahead beyond its buffer. True when written.
 */
export function writeInput(pty: SandboxPty, data: string): boolean {
  if (pendingInputBytes(pty) >= MAX_PENDING_INPUT_BYTES) return false;
  pty.write(data);
  return true;
}
