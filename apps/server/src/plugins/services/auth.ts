// Who may do what (API.md): `Authorization: Bearer TOKEN`, checked against token hashes in the
// database. Instructors may do everything; a student token covers one lab (given when they join a
// class session). Every /api/ route but those with `config.public` needs a valid token.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../../http-error.js';

export type Scope = { role: 'instructor' } | { role: 'student'; lab: string };

export interface AuthService {
  /** What `token` may do; undefined for an unknown token. */
  scopeFor(token: string): Scope | undefined;
  /** Throws 403 unless the request's scope covers lab `name`. */
  assertLab(req: FastifyRequest, name: string): void;
  /** Whether the request's scope covers lab `name`. */
  covers(req: FastifyRequest, name: string): boolean;
  /** Whether `scope` covers lab `name` (for sockets, which have no request). */
  scopeCovers(scope: Scope | undefined, name: string): boolean;
  /** Throws 403 unless the request comes from an instructor (`what`: what was asked, for the message). */
  assertInstructor(req: FastifyRequest, what: string): void;
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1];
}

export default fp<{ adminToken: string }>(
  async (app, opts) => {
    app.store.tokens.add(opts.adminToken, 'instructor');
    const auth: AuthService = {
      scopeFor(token) {
        const row = app.store.tokens.find(token);
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
    };
    app.decorate('auth', auth);
    app.decorateRequest('scope', undefined);
    app.addHook('onRequest', async (req: FastifyRequest, _reply: FastifyReply) => {
      // Only the API is guarded: the web app's files hold no secrets (it asks for the token itself).
      if (!req.url.startsWith('/api/') || req.routeOptions.config?.public) return;
      const token = bearer(req);
      const scope = token ? auth.scopeFor(token) : undefined;
      if (!scope) {
        throw new HttpError(
          401,
          'unauthorized',
          token ? 'the token is not valid' : 'this needs a token: send `Authorization: Bearer TOKEN`',
        );
      }
      req.scope = scope;
    });
  },
  { name: 'auth', dependencies: ['store'] },
);
