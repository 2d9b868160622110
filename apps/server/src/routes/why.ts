// `POST /api/labs/:name/why` (API.md, docs/why.md): the engine's answer to "why can (or can't) FROM
// reach TO", bounded. Who: a token covering the lab (a student: their own lab only), and in an
// exercise whose scenario says `why: false`, an instructor only (a student gets 403 why-disabled).
// How much: a student's questions count against a per-minute bucket of their lab (the walk reads
// every namespace on the path and the probe spawns processes outside the student's cgroup); and
// one question runs at a time per lab, for anyone — a second while one runs is answered at once
// with 429 `busy` (not queued: a question is quick, and a client asking again costs nothing while a
// queue would hold requests and memory for a lab being hammered). Bad questions: the engine's
// `invalid` → 400 with problems; an unknown lab or node, or a lab not applied: `not-found` → 404.
// A student's answer speaks of their terminals (`ip link set eth0 up — in the terminal of db`), an
// instructor's of the machine (`ip -n NS …`), as the CLI's does. For a lab on a remote agent the
// question goes to the agent (plugins/services/lab-forward.ts), which sees the coordinator, an
// instructor: the student's checks and quota run on the coordinator first, and the agent's answer
// is put in the student's terms here, with the agent's prefix.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { explainPath, whyInNodeTerms } from '@patchbay/engine';
import { routes } from '@patchbay/protocol';
import { plural, type WhyResult } from '@patchbay/topology';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error.js';
import { route } from './route.js';

const why: FastifyPluginAsyncTypebox = async (app) => {
  /** Labs with a question being answered now. */
  const running = new Set<string>();

  /** Throws 403 why-disabled for a student whose exercise's scenario says `why: false`. */
  async function assertWhyAllowed(req: FastifyRequest, lab: string): Promise<void> {
    if (req.scope?.role !== 'student') return; // an instructor may always ask
    const ctx = await app.exercises.scenarios.contextOf(lab);
    if (ctx && ctx.scenario.why === false)
      throw new HttpError(
        403,
        'why-disabled',
        `this exercise (${ctx.scenario.id}) does not allow Why?: find out with ping, the tables and captures`,
      );
  }

  /** Counts a student's question against their lab's per-minute bucket; 429 (retry-after) when it is empty. */
  function takeWhyQuota(req: FastifyRequest, reply: FastifyReply): void {
    const wait = app.quotas.askWhy(req.scope);
    if (wait === undefined) return;
    void reply.header('retry-after', String(wait));
    throw new HttpError(
      429,
      'rate-limited',
      `quota: a student may ask at most ${plural(app.limits.studentWhysPerMinute, 'why question')} a minute (${app.limits.studentWhyBurst} at once); retry in ${wait} s`,
    );
  }

  route(
    app,
    routes.whyLab,
    async (req, reply) => {
      const { name } = req.params;
      app.auth.assertLab(req, name);
      await assertWhyAllowed(req, name);
      if (running.has(name)) {
        void reply.header('retry-after', '1');
        throw new HttpError(429, 'busy', `a why question about lab ${name} is being answered: ask again when it is`);
      }
      takeWhyQuota(req, reply);
      running.add(name);
      try {
        const answer = await explainPath(app.engine, name, req.body);
        // A student types in a node's terminal: fixes and commands in that node's terms.
        return req.scope?.role === 'student' ? whyInNodeTerms(answer, app.engine.prefix) : answer;
      } finally {
        running.delete(name);
      }
    },
    {
      forwarded: true,
      // A lab on a remote agent: the agent sees the coordinator (an instructor), so the student's
      // checks and quota are the coordinator's, and so is turning the answer into their nodes' terms.
      beforeForward: async (req, reply, lab) => {
        await assertWhyAllowed(req, lab);
        takeWhyQuota(req, reply);
      },
      forwardedAnswer: (req, answer, agent) =>
        req.scope?.role === 'student' ? whyInNodeTerms(answer as WhyResult, agent.prefix) : answer,
    },
  );
};
export default why;
