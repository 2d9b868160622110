// A lab's REST operations go to the agent that holds it (agents/placement.ts): for a route marked
// `forwarded` (routes/labs.ts, routes/why.ts), after the token and the lab's coverage are checked
// here, a lab held by a remote agent has its request passed to that agent's API (the same route,
// opened over the agent link: secret, certificates or both) and the agent's answer passed back as it is; a lab held by the
// local agent goes on to the route's own handler. A new lab (a PUT of a lab no agent holds) is
// placed first. What a handler checks of the caller that the agent cannot (the agent sees the
// coordinator, an instructor) is a route's `beforeForward`, run here; its `forwardedAnswer` turns
// the agent's answer into the caller's (a student's `why` in their nodes' terms). Without an agent link (PATCHBAY_AGENT_SECRET or PATCHBAY_AGENT_TLS_*) there are no remote agents: nothing is looked up.
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { callAgent } from '../../agents/agent-client.js';

/** What the hook decided for a request, for its response hook. */
interface Forwarding {
  lab: string;
  /** The lab was placed by this request (a new lab): forgotten again if the request failed. */
  placedNow: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    forwarding?: Forwarding;
  }
}

export default fp(
  async (app) => {
    app.decorateRequest('forwarding', undefined);
    app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
      const link = app.agentLink;
      if (!req.routeOptions.config?.forwarded || link === undefined) return;
      const lab = (req.params as { name?: string }).name;
      if (lab === undefined) return;
      app.auth.assertLab(req, lab);
      const apply = req.method === 'PUT';
      const dryRun = apply && (req.query as { dryRun?: string }).dryRun === 'true';
      let holder = await app.placement.holderOf(lab);
      let placedNow = false;
      if (!holder && apply) {
        holder = await app.placement.place(lab, dryRun);
        placedNow = !dryRun;
      }
      req.forwarding = { lab, placedNow };
      if (!holder || holder.kind === 'local') return; // the route's own handler, on the local engine
      // A student's own change of their lab is checked and recorded here, as the handler would.
      const change = req.scope?.role === 'student' && !dryRun && (apply || req.method === 'DELETE');
      if (change) await app.classroom.assertStudentMayChange(lab, apply ? 'apply your lab' : 'destroy your lab');
      // What else the route's handler checks that the agent cannot (a student's why quota).
      await req.routeOptions.config.beforeForward?.(req, reply, lab);
      const body: unknown = req.body;
      const answer = await callAgent(holder.agent, link, {
        method: req.method,
        path: req.url,
        ...(body === undefined
          ? {}
          : typeof body === 'string'
            ? { body, contentType: req.headers['content-type'] ?? 'application/yaml' }
            : { body: JSON.stringify(body), contentType: 'application/json' }),
      });
      if (change && answer.status < 300) await app.classroom.recordStudentChange(lab);
      void reply.code(answer.status);
      if (answer.contentType) void reply.header('content-type', answer.contentType);
      void reply.header('x-patchbay-agent', holder.name);
      const reshape = req.routeOptions.config.forwardedAnswer;
      if (reshape && answer.status < 300)
        return reply.send(reshape(req, JSON.parse(answer.body.toString('utf8')) as unknown, holder.agent));
      return reply.send(answer.body);
    });
    // The placement follows the outcome: a new lab whose apply failed, and a destroyed lab, hold
    // no place any more.
    app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
      const f = req.forwarding;
      if (!f) return;
      const failed = reply.statusCode >= 400;
      if ((f.placedNow && failed) || (req.method === 'DELETE' && !failed)) await app.store.agents.unplace(f.lab);
    });
  },
  { name: 'lab-forward', dependencies: ['auth', 'agents', 'classroom'] },
);
