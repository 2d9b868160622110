import type { CaptureInfo } from '@patchbay/protocol';

/**
 * What the status bar says when the server slowed its reading of a student's capture (the
 * `studentCapturePacketsPerSecond` limit), or undefined when it never did.
 */
export function readLimitNote(info: Pick<CaptureInfo, 'readLimit' | 'readPausedMs'> | undefined): string | undefined {
  if (!info?.readPausedMs) return undefined;
  const limit = info.readLimit === undefined ? 'its limit' : `${info.readLimit} packets/s`;
  return `read slowed to ${limit} (a student's limit) for ${(info.readPausedMs / 1000).toFixed(1)} s`;
}
