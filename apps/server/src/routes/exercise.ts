// A lab's exercise, for a token covering the lab (the student's own, or an instructor's): what to
// do (never the solution; hints once revealed), its checks on demand, the next hint, a reset. Also
// works for a lab started from a scenario outside a session (`patchbay scenario start`).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CheckRunSchema, ErrorBodySchema, ExerciseViewSchema, HintsViewSchema } from '@patchbay/protocol';
import { NAME_RE } from '@patchbay/topology';
import type { FastifyRequest } from 'fastify';
import type { ExerciseContext } from '../classroom/scenario-source.js';
import { exerciseView } from '../classroom/views.js';
import { HttpError } from '../http-error.js';

const Params = Type.Object({ name: Type.String({ pattern: NAME_RE.source, description: 'Lab name.' }) });
const errors = { 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema, 500: ErrorBodySchema };
const gone = { 410: ErrorBodySchema };

const exercise: FastifyPluginAsyncTypebox = async (app) => {
  /** The lab's exercise, once the token is known to cover the lab. */
  async function contextFor(req: FastifyRequest, lab: string): Promise<ExerciseContext> {
    app.auth.assertLab(req, lab);
    const ctx = await app.exercises.scenarios.contextOf(lab);
    if (!ctx) throw new HttpError(404, 'not-found', `lab ${lab} has no exercise (it was not started from a scenario)`);
    return ctx;
  }

  app.get(
    '/api/labs/:name/exercise',
    { schema: { summary: "The lab's exercise: instructions, checks, revealed hints, the latest run (no solution)", params: Params, response: { 200: ExerciseViewSchema, ...gone, ...errors } } },
    async (req) => {
      const ctx = await contextFor(req, req.params.name);
      await app.exercises.assertPresent(ctx);
      return exerciseView(ctx.lab, ctx.scenario, app.exercises.hintsShown(ctx), app.exercises.latest(ctx), ctx.session?.id);
    },
  );

  app.post(
    '/api/labs/:name/checks',
    { schema: { summary: "Runs the lab's checks now against its live kernel state", params: Params, response: { 200: CheckRunSchema, ...gone, ...errors } } },
    async (req) => {
      const ctx = await contextFor(req, req.params.name);
      return app.exercises.run(ctx.lab, 'request');
    },
  );

  app.post(
    '/api/labs/:name/hints',
    { schema: { summary: 'Reveals the next hint; answers with every hint revealed so far', params: Params, response: { 200: HintsViewSchema, ...errors } } },
    async (req) => app.exercises.revealHint(await contextFor(req, req.params.name)),
  );

  app.post(
    '/api/labs/:name/reset',
    {
      schema: {
        summary: 'Puts the lab back as the scenario starts (re-creates it when it is gone), then runs its checks',
        description: 'The lab is destroyed and realized again: open terminals, pings, captures and live tables of the lab end (subscribe again).',
        params: Params,
        response: { 200: CheckRunSchema, 409: ErrorBodySchema, ...errors },
      },
    },
    async (req) => app.exercises.reset(await contextFor(req, req.params.name)),
  );
};
export default exercise;
