// The exercise library for instructors: the built-in scenarios, one as its file, and the proof
// that a scenario file is sound (validate: fresh lab fails, the solution fixes it, a reset breaks
// it again), run on the real kernel in a lab of its own.
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { validateExercise } from '@patchbay/engine';
import {
  ErrorBodySchema,
  ProblemsErrorSchema,
  ScenarioListSchema,
  ScenarioTextSchema,
  ScenarioValidateInputSchema,
  ValidationProofSchema,
} from '@patchbay/protocol';
import { builtinScenario, builtinScenarios } from '@patchbay/scenarios/library';
import { scenarioSummary } from '../classroom/views.js';
import { parseScenarioBody } from '../classroom/scenario-source.js';
import { Semaphore } from '../classroom/scheduler.js';
import { HttpError } from '../http-error.js';

/** Validations at once (each realizes a lab and runs its checks up to three times); more wait. */
export const VALIDATIONS_AT_ONCE = 2;

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'Scenario id.' }) });
const errors = { 401: ErrorBodySchema, 403: ErrorBodySchema, 500: ErrorBodySchema };

const scenarios: FastifyPluginAsyncTypebox = async (app) => {
  const validations = new Semaphore(VALIDATIONS_AT_ONCE);

  app.get('/api/scenarios', { schema: { summary: 'The built-in exercise library (instructors)', response: { 200: ScenarioListSchema, ...errors } } }, async (req) => {
    app.auth.assertInstructor(req, 'list the scenarios');
    return { scenarios: builtinScenarios().map((b) => scenarioSummary(b.scenario)) };
  });

  app.get(
    '/api/scenarios/:id',
    { schema: { summary: 'A built-in scenario as its file (YAML, solution included; instructors)', params: IdParams, response: { 200: ScenarioTextSchema, 404: ErrorBodySchema, ...errors } } },
    async (req) => {
      app.auth.assertInstructor(req, 'read a scenario');
      const b = builtinScenario(req.params.id);
      if (!b) throw new HttpError(404, 'not-found', `no built-in scenario named ${req.params.id}`);
      return { id: b.id, text: b.text };
    },
  );

  app.post(
    '/api/scenarios/validate',
    {
      schema: {
        summary: 'Proves a scenario file sound on the real kernel, in a throwaway lab (instructors)',
        description: 'The fresh lab must fail a check, the solution must make every check pass, a reset lab must fail again. A file with problems answers 400 with all of them, and nothing runs.',
        body: ScenarioValidateInputSchema,
        response: { 200: ValidationProofSchema, 400: ProblemsErrorSchema, 413: ErrorBodySchema, ...errors },
      },
    },
    async (req) => {
      app.auth.assertInstructor(req, 'validate a scenario');
      const scenario = parseScenarioBody(req.body.text);
      // A lab of its own: never an instructor's or a student's lab of the scenario's name.
      const lab = `v-${randomBytes(5).toString('hex')}`;
      return validations.use(() => validateExercise(app.engine, scenario, { lab }));
    },
  );
};
export default scenarios;
