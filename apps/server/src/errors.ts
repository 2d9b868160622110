// One error handler for every route (API.md): 4xx bodies explain what was wrong; 5xx bodies never
// carry internals — a generic message and the request id, while the log gets the real error.
// Engine errors map to statuses by their code; a failed apply says which command failed (its own
// message), never a stack.
import { ApplyError, EngineError } from '@patchbay/engine';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from '@patchbay/protocol';
import { HttpError } from './http-error.js';

export const BODY_LIMIT = 1024 * 1024;

const ENGINE_STATUS: Record<EngineError['code'], number> = {
  invalid: 400,
  unsupported: 400,
  conflict: 409,
  busy: 409,
  'not-found': 404,
  'apply-failed': 500,
  'rollback-failed': 500,
};

/** `/links/0/a/addresses/0` (JSON pointer, as Ajv reports) → `links[0].a.addresses[0]` (as the lab parser does). */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}

export function validationProblems(err: Pick<FastifyError, 'validation' | 'validationContext'>): Problem[] {
  return (err.validation ?? []).map((v) => {
    const extra =
      v.keyword === 'additionalProperties'
        ? ` (${String((v.params as { additionalProperty?: string }).additionalProperty)})`
        : '';
    return {
      path: pointerToPath(v.instancePath),
      message: `${v.message ?? 'is not valid'}${extra}`,
      code: `schema.${v.keyword}`,
    };
  });
}

export function problemsBody(error: string, code: string, problems: Problem[]) {
  return { error, code, problems };
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    // The web app's own addresses (not files, not the API): its index.html.
    // Decoded, as the router matched it: `/%61pi/x` is an API address too.
    const raw = req.url.split('?')[0]!;
    let path = raw;
    try {
      path = decodeURIComponent(raw);
    } catch {
      /* malformed escapes: as it is */
    }
    if (
      req.method === 'GET' &&
      !path.startsWith('/api/') &&
      !path.startsWith('/socket.io/') &&
      'sendFile' in reply &&
      app.hasDecorator('webApp')
    ) {
      return void (reply as unknown as { sendFile(f: string): unknown }).sendFile('index.html');
    }
    void reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}`, code: 'not-found' });
  });

  app.setErrorHandler((err: FastifyError | EngineError | HttpError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof EngineError) {
      const status = ENGINE_STATUS[err.code] ?? 500;
      if (status === 400) return reply.code(400).send(problemsBody(err.message, err.code, err.problems));
      if (status < 500) return reply.code(status).send({ error: err.message, code: err.code });
      // A kernel failure: the engine's message names the failed command and what the kernel said.
      req.log.error({ err, failure: err instanceof ApplyError ? err.failure : undefined }, 'apply failed');
      // What failed is the user's business (the command, the kernel's words, the lab object), not an internal.
      const failure =
        err instanceof ApplyError
          ? {
              failure: {
                command: err.failure.command,
                error: err.failure.error,
                subject: err.failure.op.subject,
                rolledBack: err.failure.rolledBack,
              },
            }
          : {};
      return reply.code(status).send({ error: err.message, code: err.code, requestId: req.id, ...failure });
    }
    if (err instanceof HttpError) {
      if (err.problems) return reply.code(err.statusCode).send(problemsBody(err.message, err.code, err.problems));
      return reply.code(err.statusCode).send({ error: err.message, code: err.code });
    }
    const fe = err;
    if (fe.validation) {
      return reply
        .code(400)
        .send(problemsBody('the request is not valid; nothing was changed', 'invalid', validationProblems(fe)));
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({
        error: `the request body is larger than the limit of ${BODY_LIMIT / 1024 / 1024} MiB`,
        code: 'too-large',
      });
    }
    const status = fe.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = fe.code ?? 'bad-request';
      if (status === 400)
        return reply.code(400).send(problemsBody(fe.message, code, [{ path: '', code, message: fe.message }]));
      return reply.code(status).send({ error: fe.message, code });
    }
    req.log.error({ err }, 'internal error');
    return reply
      .code(500)
      .send({ error: 'internal server error; the server log has the details', code: 'internal', requestId: req.id });
  });
}
