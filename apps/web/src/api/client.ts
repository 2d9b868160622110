// The server's REST API through the protocol's one client (packages/protocol client.ts): every call
// is `client.call(route, { params, query, body })`, typed by the route table. Every failure becomes
// an ApiError with a message a person can read: the server's own, or what went wrong on the way.
// Whether each call reached the server goes to the connection manager (connection.ts).
import { ApiError, createClient, type ApplyFailure, type Client } from '@patchbay/protocol';
import { restReached } from './connection';
import { getToken } from './token';

export { ApiError, type Client };
export type ApplyFailureBody = ApplyFailure;

const unauthorizedMessage = 'no valid token: open the address `patchbay serve` printed (it ends in ?token=…)';

/**
 * A client that sends `token()`'s token. A student's exercise page uses the token of that lab
 * (api/token.ts), which must not replace the instructor's token of the same browser.
 */
export const clientWithToken = (token: () => string | null): Client =>
  createClient({ token, unauthorizedMessage, onNetwork: restReached });

/** The page's client: the token the page was opened with (the instructor's). */
export const client = clientWithToken(getToken);

/** Any failure as an ApiError (a thrown non-ApiError becomes one with status 0). */
export const asApiError = (e: unknown): ApiError => (e instanceof ApiError ? e : new ApiError(String(e), 0));
