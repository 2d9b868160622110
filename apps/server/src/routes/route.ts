// Registers a route of the protocol's route table: the method, address, schemas (validation, the
// OpenAPI document) and who may call it (`access`) all come from the table entry, and the handler's
// request and reply types are derived from its schemas — a route cannot drift from the contract.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RouteDef } from '@patchbay/protocol';
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
} from 'fastify';
import type { ForwardedAnswer, ForwardGuard } from '../types.js';

export type TypedApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** The Fastify schema of a route table entry (the table says `query`, Fastify `querystring`). */
export interface SchemaOf<R extends RouteDef> {
  params: R extends { params: infer P } ? P : undefined;
  querystring: R extends { query: infer Q } ? Q : undefined;
  body: R extends { body: infer B } ? B : undefined;
  response: R['response'];
}

export type RouteHandler<R extends RouteDef> = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  RouteGenericInterface,
  ContextConfigDefault,
  SchemaOf<R>,
  TypeBoxTypeProvider
>;

export interface RouteOptions {
  /**
   * The handler sees a body the schema refused (in `req.validationError`) instead of a 400: the
   * lab routes report the lab parser's problems, which name paths and codes the CLI also gives.
   */
  attachValidation?: boolean;
  /**
   * The body is a lab document the handler parses: its size and node and link counts are checked
   * before any parse work (plugins/services/documents.ts), and the parse happens only after the
   * token and the rate limit were checked.
   */
  document?: boolean;
  /** Not rate limited (/api/health: monitors poll it). */
  unlimited?: boolean;
  /**
   * A lab operation (the path's `:name`) that goes to the agent holding the lab
   * (plugins/services/lab-forward.ts); the handler runs for a lab of the local agent.
   */
  forwarded?: boolean;
  /** What the route's handler checks that its agent cannot (it sees the coordinator, an instructor): run before a forward. */
  beforeForward?: ForwardGuard;
  /** Turns the agent's JSON answer (2xx) into the one the caller gets (a student's terms). */
  forwardedAnswer?: ForwardedAnswer;
}

export function route<R extends RouteDef>(
  app: TypedApp,
  def: R,
  handler: RouteHandler<R>,
  options: RouteOptions = {},
): void {
  const isPublic = def.access === 'public';
  app.route({
    method: def.method,
    url: def.path,
    ...(options.attachValidation ? { attachValidation: true } : {}),
    // What the guards read (plugins/services/auth.ts, documents.ts): decided by the route that
    // matched, never by looking at the request's URL (which may be percent-encoded, doubled, …).
    config: {
      access: def.access,
      document: options.document === true,
      rateLimited: options.unlimited !== true,
      forwarded: options.forwarded === true,
      ...(options.beforeForward ? { beforeForward: options.beforeForward } : {}),
      ...(options.forwardedAnswer ? { forwardedAnswer: options.forwardedAnswer } : {}),
    },
    schema: {
      summary: def.summary,
      ...(def.description ? { description: def.description } : {}),
      ...(def.params ? { params: def.params } : {}),
      ...(def.query ? { querystring: def.query } : {}),
      ...(def.body ? { body: def.body } : {}),
      ...(def.consumes ? { consumes: [...def.consumes] } : {}),
      ...(def.produces ? { produces: [...def.produces] } : {}),
      ...(def.hide ? { hide: true } : {}),
      ...(isPublic ? { security: [] } : {}),
      response: def.response,
    },
    handler: handler as RouteHandlerMethod,
  });
}
