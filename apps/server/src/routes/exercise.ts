// A lab's exercise, for a token covering the lab (the student's own, or an instructor's): what to
// do (never the solution; hints once revealed), its checks on demand, the next hint, a reset. Also
// works for a lab started from a scenario outside a session (`patchbay scenario start`).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routes } from '@patchbay/protocol';
import type { FastifyRequest } from 'fastify';
import type { ExerciseContext } from '../classroom/scenario-source.js';
import { exerciseView } from '../classroom/views.js';
import { HttpError } from '../http-error.js';
import { route } from './route.js';
import { startExercise } from '@patchbay/engine';
import { parseScenarioBody } from '../classroom/scenario-source.js';

const exercise: FastifyPluginAsyncTypebox = async (app) => {
  /** The lab's exercise, once the token is known to cover the lab. */
  async function contextFor(req: FastifyRequest, lab: string): Promise<ExerciseContext> {
    app.auth.assertLab(req, lab);
    const ctx = await app.exercises.scenarios.contextOf(lab);
    if (!ctx) throw new HttpError(404, 'not-found', `lab ${lab} has no exercise (it was not started from a scenario)`);
    return ctx;
  }

  route(app, routes.getExercise, async (req) => {
    const ctx = await contextFor(req, req.params.name);
    await app.exercises.assertPresent(ctx);
    const { session, student } = ctx; // read for this request: a toggle or a reset just before shows
    return exerciseView(
      ctx.lab,
      ctx.scenario,
      await app.exercises.hintsShown(ctx),
      await app.exercises.latest(ctx),
      session
        ? {
            id: session.id,
            terminalsOnly: session.terminalsOnly,
            instructorResetAt: student?.instructorResetAt ?? null,
          }
        : undefined,
      req.scope?.role === 'instructor' ? 'instructor' : 'student',
    );
  });

  // A coordinator places a student's lab on this agent (agents/exercise-hosts.ts).
  route(app, routes.startExerciseLab, async (req) => {
    app.auth.assertInstructor(req, 'start a lab from a scenario');
    const scenario = parseScenarioBody(req.body.text);
    await app.exercises.realizeLab(req.params.name, () =>
      startExercise(app.engine, scenario, { lab: req.params.name }),
    );
    return { lab: req.params.name };
  });

  route(app, routes.runChecks, async (req) => {
    const ctx = await contextFor(req, req.params.name);
    return app.exercises.run(ctx.lab, 'request');
  });

  route(app, routes.revealHint, async (req) => app.exercises.revealHint(await contextFor(req, req.params.name)));

  // An instructor may reset a student's lab here too (their token covers every lab): the student is told.
  route(app, routes.resetLab, async (req) => {
    const ctx = await contextFor(req, req.params.name);
    return app.exercises.reset(ctx, ctx.student && req.scope?.role === 'instructor' ? 'instructor' : 'student');
  });
};
export default exercise;
