// The Host and Origin checks (request-origin.ts) on every HTTP request, before anything else runs:
// a request under a foreign host name (DNS rebinding) or from another site's page answers 403.
// socket.io handshakes get the same check in the live plugin (`allowRequest`).
import fp from 'fastify-plugin';
import { HttpError } from '../../http-error.js';
import { originProblem, type HostPolicy } from '../../request-origin.js';

export default fp<{ policy: HostPolicy }>(
  async (app, opts) => {
    app.decorate('hostPolicy', opts.policy);
    app.addHook('onRequest', async (req) => {
      const problem = originProblem(opts.policy, req.headers);
      if (problem)
        throw new HttpError(403, problem.includes('host name') ? 'host-not-allowed' : 'origin-not-allowed', problem);
    });
  },
  { name: 'host-check' },
);
