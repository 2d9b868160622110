// Who may do what (API.md): `Authorization: Bearer TOKEN`, checked against token hashes in the
// database. Instructors may do everything; a student token covers one lab (given when they join a
// class session). Every route of the route table but the public ones needs a valid token; the guard
// below also applies the REST rate limit (plugins/services/limits.ts), keyed by what it found.
// An agent's API over mTLS (`app.callerCertificates`) also needs, on every route but the public
// ones, a client certificate the TLS layer verified whose role is a coordinator (agents/tls.ts);
// without PATCHBAY_AGENT_SECRET that certificate alone makes the caller its instructor.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { instructorTokenProblem } from '../../admin-token.js';
import { HttpError } from '../../http-error.js';
import { addressKey } from '../../limits.js';
import { hashToken, isWellFormedToken, TOKEN_RULE } from '../../store/tokens.js';
import { sameSecret } from '../../agents/secret.js';
import { peerFingerprint, peerProblem } from '../../agents/tls.js';

export type Scope = { role: 'instructor' } | { role: 'student'; lab: string };

export interface AuthService {
  /** What `token` may do; undefined for an unknown token. */
  scopeFor(token: string): Promise<Scope | undefined>;
  /** Throws 403 unless the request's scope covers lab `name`. */
  assertLab(req: FastifyRequest, name: string): void;
  /** Whether the request's scope covers lab `name`. */
  covers(req: FastifyRequest, name: string): boolean;
  /** Whether `scope` covers lab `name` (for sockets, which have no request). */
  scopeCovers(scope: Scope | undefined, name: string): boolean;
  /** Throws 403 unless the request comes from an instructor (`what`: what was asked, for the message). */
  assertInstructor(req: FastifyRequest, what: string): void;
  /**
   * An agent's API over mTLS: why the connection's peer is no coordinator (undefined: it is), and
   * the scope its certificate alone gives. Undefined when the app takes no certificates.
   */
  callerCertificate(socket: unknown): { problem?: string; scope?: Scope; key?: string } | undefined;
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

export default fp<{ adminToken: string }>(
  async (app, opts) => {
    // A weak or malformed instructor token stops the start (admin-token.ts says how it is measured).
    const problem = instructorTokenProblem(opts.adminToken, 'the instructor token');
    if (problem) throw new Error(problem);
    await app.store.tokens.add(opts.adminToken, 'instructor');
    const auth: AuthService = {
      async scopeFor(token) {
        const row = await app.store.tokens.find(token);
        if (!row) return undefined;
        if (row.role === 'instructor') return { role: 'instructor' };
        return row.lab ? { role: 'student', lab: row.lab } : undefined;
      },
      covers(req, name) {
        return auth.scopeCovers(req.scope, name);
      },
      scopeCovers(s, name) {
        return s?.role === 'instructor' || (s?.role === 'student' && s.lab === name);
      },
      assertLab(req, name) {
        if (!auth.covers(req, name)) throw new HttpError(403, 'forbidden', `this token does not cover lab ${name}`);
      },
      assertInstructor(req, what) {
        if (req.scope?.role !== 'instructor') throw new HttpError(403, 'forbidden', `only an instructor may ${what}`);
      },
      callerCertificate(socket) {
        const certs = app.callerCertificates;
        if (!certs) return undefined;
        const problem = peerProblem(socket, { role: 'coordinator' });
        if (problem) return { problem: `only a coordinator may call this agent: ${problem}` };
        const fingerprint = peerFingerprint(socket);
        return certs.alone
          ? { scope: { role: 'instructor' }, ...(fingerprint ? { key: `c:${fingerprint}` } : {}) }
          : {};
      },
    };
    app.decorate('auth', auth);
    app.decorateRequest('scope', undefined);
    // One guard per request, decided by the route that matched (its config, set by route.ts from the
    // route table) — never by the request's URL, which may be percent-encoded (`/%61pi/…`), have
    // doubled slashes or other spellings the router still matches. A request no route matched
    // (`access` undefined) goes to the 404 handler without any token work.
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      const config = req.routeOptions.config;
      const access = config?.access;
      if (access === undefined) return; // the 404 handler, or a web app file (public, not the API)
      const token = bearer(req);
      if (access === 'agent') {
        // An agent's route: only the agent secret opens it (never an instructor's or student's token).
        const link = app.agentLink;
        if (!link)
          throw new HttpError(
            401,
            'unauthorized',
            'this coordinator takes no agents: PATCHBAY_AGENT_SECRET is not set (nor PATCHBAY_AGENT_TLS_*)',
          );
        // With mTLS, agents beat to the agent port, where their certificate is checked (agents/agent-listener.ts).
        if (link.tls)
          throw new HttpError(
            401,
            'unauthorized',
            'this coordinator takes agents with certificates (PATCHBAY_AGENT_TLS_*) on its agent port (`serve --agent-port`), not here',
          );
        if (token === undefined || link.secret === undefined || !sameSecret(token, link.secret))
          throw new HttpError(
            401,
            'unauthorized',
            'this needs the agent secret: `Authorization: Bearer PATCHBAY_AGENT_SECRET`',
          );
        return;
      }
      // An agent's API over mTLS: no coordinator certificate, nothing but the public routes.
      const peer = access === 'public' ? undefined : auth.callerCertificate(req.raw.socket);
      if (peer?.problem) throw new HttpError(401, 'unauthorized', peer.problem);
      const scope = peer?.scope ?? (token !== undefined ? await auth.scopeFor(token) : undefined);
      // The rate limit counts before the token is refused: a valid token has its own bucket, a
      // request without one — or with a token nobody issued — is counted against its address.
      // An agent's instructor is its coordinators, which forward every student's lab requests
      // with that one key: counted there per caller already, they are not counted again here (one
      // bucket for a whole class would refuse students within their own limits).
      const coordinator = app.agentApi && scope?.role === 'instructor';
      if (config.rateLimited && !coordinator) {
        const key = peer?.scope && peer.key ? peer.key : scope && token ? `t:${hashToken(token)}` : addressKey(req.ip);
        const retryAfter = app.requestLimit(key);
        if (retryAfter !== undefined) {
          // answered after a delay (a flood then costs timers, not the event loop), or at once
          // with the connection closed when this client already has as many refusals waiting
          if (!(await app.holdRefusal(key))) void reply.header('connection', 'close');
          void reply.header('retry-after', String(retryAfter));
          throw new HttpError(
            429,
            'rate-limited',
            `too many requests: at most ${app.limits.requestsPerSecond} per second (burst ${app.limits.requestBurst}); retry in ${retryAfter} s`,
          );
        }
      }
      if (access === 'public') {
        if (scope) req.scope = scope;
        return;
      }
      if (!scope) {
        throw new HttpError(
          401,
          'unauthorized',
          token === undefined
            ? 'this needs a token: send `Authorization: Bearer TOKEN`'
            : isWellFormedToken(token)
              ? 'the token is not valid'
              : `the token is not valid: a token is ${TOKEN_RULE}`,
        );
      }
      req.scope = scope;
    });
  },
  { name: 'auth', dependencies: ['store', 'limits', 'agents'] },
);
