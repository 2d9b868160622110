// The exercise library for instructors: the built-in scenarios, one as its file, and the proof
// that a scenario file is sound (validate: fresh lab fails, the solution fixes it, a reset breaks
// it again), run on the real kernel in a lab of its own.
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { validateExercise } from '@patchbay/engine';
import { routes } from '@patchbay/protocol';
import { builtinScenario, builtinScenarios } from '@patchbay/scenarios/library';
import { scenarioSummary } from '../classroom/views.js';
import { parseScenarioBody } from '../classroom/scenario-source.js';
import { Semaphore } from '../classroom/scheduler.js';
import { assertLabBounds } from '../documents.js';
import { HttpError } from '../http-error.js';
import { route } from './route.js';

/** Validations at once (each realizes a lab and runs its checks up to three times); more wait. */
export const VALIDATIONS_AT_ONCE = 2;

const scenarios: FastifyPluginAsyncTypebox = async (app) => {
  const validations = new Semaphore(VALIDATIONS_AT_ONCE);

  route(app, routes.listScenarios, async (req) => {
    app.auth.assertInstructor(req, 'list the scenarios');
    return { scenarios: builtinScenarios().map((b) => scenarioSummary(b.scenario)) };
  });

  route(app, routes.getScenario, async (req) => {
    app.auth.assertInstructor(req, 'read a scenario');
    const b = builtinScenario(req.params.id);
    if (!b) throw new HttpError(404, 'not-found', `no built-in scenario named ${req.params.id}`);
    return { id: b.id, text: b.text };
  });

  route(app, routes.validateScenario, async (req) => {
    app.auth.assertInstructor(req, 'validate a scenario');
    const scenario = parseScenarioBody(req.body.text);
    assertLabBounds(scenario.lab, app.limits); // its compile runs on the event loop, as an apply's
    // A lab of its own: never an instructor's or a student's lab of the scenario's name.
    const lab = `v-${randomBytes(5).toString('hex')}`;
    return validations.use(() => validateExercise(app.engine, scenario, { lab }));
  });
};
export default scenarios;
