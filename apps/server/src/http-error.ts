import type { Problem } from '@patchbay/protocol';

/** An error whose message is meant for the client (4xx); with `problems`, a 400 lists them. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly problems?: Problem[],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
