// Errors the engine reports, each with a stable code. The CLI maps them to exit codes
// (invalid → 2, everything else → 1); the server will map them to HTTP statuses.
import type { Problem } from '@patchbay/topology';

export type EngineErrorCode =
  | 'invalid' // the lab file has problems; nothing was changed
  | 'unsupported' // the lab needs a kernel feature this machine lacks; nothing was changed
  | 'conflict' // a namespace under the lab's names belongs to someone else; nothing was changed
  | 'busy' // another apply/destroy holds the lab's lock
  | 'not-found' // no such lab
  | 'apply-failed' // a kernel operation failed; this run's steps were undone
  | 'rollback-failed'; // … and undoing them failed too: the kernel state is reported as is

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
