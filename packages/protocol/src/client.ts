// The one REST client, derived from the route table: `client.call('applyLab', { params: { name },
// query: { dryRun: 'true' }, body: lab })` builds the request from the route's method and path, and
// its argument and result types come from the route's schemas. It does no I/O of its own: it calls
// the `fetch` it is given (the browser's, Node's), so the protocol package stays free of platforms.
import type { Static, TSchema } from '@sinclair/typebox';
import type { ErrorBody } from './labs.js';
import type { Problem } from './problem.js';
import { routes, type RouteName, type Routes } from './routes.js';

type Route<N extends RouteName> = Routes[N];

type ParamsArg<R> = R extends { params: infer P extends TSchema } ? { params: Static<P> } : { params?: undefined };
type QueryArg<R> = R extends { query: infer Q extends TSchema } ? { query?: Static<Q> } : { query?: undefined };
type BodyArg<R> = R extends { body: infer B extends TSchema } ? { body: Static<B> } : { body?: undefined };

/** What a call of route `N` takes: its path parameters, query and body, each typed by the route's schema. */
export type CallArgs<N extends RouteName> = ParamsArg<Route<N>> & QueryArg<Route<N>> & BodyArg<Route<N>>;

type SuccessSchema<R> = R extends { response: infer S } ? S[keyof S & (200 | 201 | 204)] : never;
/** What a successful call of route `N` answers: the 2xx body (a Blob for a file). */
export type CallResult<N extends RouteName> =
  Route<N> extends { produces: readonly string[] }
    ? Blob
    : SuccessSchema<Route<N>> extends infer S extends TSchema
      ? Static<S>
      : never;

export interface CallOptions {
  /** The token for this call instead of the client's (`null`: none, e.g. joining a session). */
  token?: string | null;
  /** The request may outlive the page (a save while the page unloads). */
  keepalive?: boolean;
}

/** The part of fetch's Response the client reads. */
export interface FetchResponse {
  ok: boolean;
  status: number;
  text(): Promise<string>;
  blob(): Promise<Blob>;
}
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; keepalive?: boolean },
) => Promise<FetchResponse>;

export interface ClientOptions {
  /** The server's address (`http://host:port`); '' for the page's own server. */
  base?: string;
  /** The token of every call that does not give its own. */
  token?: () => string | null | undefined;
  fetch?: FetchLike;
  /** The message of a 401 (the server's own otherwise): what the user should do to get a token. */
  unauthorizedMessage?: string;
  /** Told after every call whether the server was reached (an answer other than 502/503/504) or not (the fetch failed): a page's connection state. */
  onNetwork?: (reached: boolean) => void;
}

export type ApplyFailure = NonNullable<ErrorBody['failure']>;

/** Every failure of a call: the server's error (with its problems, or an apply's failure), or why the server was not reached (status 0). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly problems: Problem[] = [],
    readonly failure?: ApplyFailure,
    /** The server's stable error code (`why-disabled`, `busy`, `rate-limited`, …), when it gave one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The path of route `N` with its parameters filled in (each encoded). */
export function routePath(path: string, params: Record<string, string | number> | undefined): string {
  return path.replace(/:([A-Za-z_]+)/g, (_, key: string) => {
    const value = params?.[key];
    if (value === undefined) throw new TypeError(`missing path parameter ${key} for ${path}`);
    return encodeURIComponent(String(value));
  });
}

function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined) q.append(k, typeof v === 'string' ? v : JSON.stringify(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface Client {
  call<N extends RouteName>(
    name: N,
    ...rest: object extends CallArgs<N>
      ? [args?: CallArgs<N>, options?: CallOptions]
      : [args: CallArgs<N>, options?: CallOptions]
  ): Promise<CallResult<N>>;
  /** The address of route `N` (for links and logs). */
  url<N extends RouteName>(name: N, args?: CallArgs<N>): string;
}

export function createClient(opts: ClientOptions = {}): Client {
  const base = opts.base ?? '';
  const doFetch: FetchLike =
    opts.fetch ?? ((url, init) => (globalThis as unknown as { fetch: FetchLike }).fetch(url, init));
  const url = (name: RouteName, args?: { params?: object; query?: object }): string =>
    base +
    routePath(routes[name].path, args?.params as Record<string, string> | undefined) +
    queryString(args?.query as Record<string, unknown> | undefined);

  return {
    url,
    async call(name, ...rest) {
      const [args, options] = rest as [
        { params?: object; query?: object; body?: unknown } | undefined,
        CallOptions | undefined,
      ];
      const route: { method: string; produces?: readonly string[] } = routes[name];
      const token = options && 'token' in options ? options.token : opts.token?.();
      const headers: Record<string, string> = {};
      if (token) headers['authorization'] = `Bearer ${token}`;
      const hasBody = args?.body !== undefined;
      if (hasBody) headers['content-type'] = 'application/json';
      let res: FetchResponse;
      try {
        res = await doFetch(url(name, args), {
          method: route.method,
          headers,
          ...(hasBody ? { body: JSON.stringify(args.body) } : {}),
          ...(options?.keepalive ? { keepalive: true } : {}),
        });
      } catch {
        opts.onNetwork?.(false);
        throw new ApiError('cannot reach the Patchbay server: is it running?', 0);
      }
      // A gateway's or a stopping server's 502/503/504 is the server being away, too.
      opts.onNetwork?.(!(res.status >= 502 && res.status <= 504));
      if (res.ok && route.produces) return (await res.blob()) as CallResult<typeof name>;
      if (res.status === 204) return null as CallResult<typeof name>;
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (!res.ok) {
        const b = (json !== null && typeof json === 'object' ? json : {}) as Partial<ErrorBody> & {
          problems?: Problem[];
        };
        const message =
          res.status === 401 && opts.unauthorizedMessage
            ? opts.unauthorizedMessage
            : (b.error ?? `the server answered ${res.status}`);
        throw new ApiError(message, res.status, b.problems ?? [], b.failure, b.code);
      }
      return json as CallResult<typeof name>;
    },
  };
}
