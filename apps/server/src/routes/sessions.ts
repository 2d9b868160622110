// Class sessions (instructors) and joining one (students, no token yet: public, rate limited per
// client address like every token-less request).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  CheckRunSchema,
  ErrorBodySchema,
  JoinedSchema,
  JoinInputSchema,
  ProblemsErrorSchema,
  SessionCreateInputSchema,
  SessionEndedSchema,
  SessionListSchema,
  SessionSchema,
} from '@patchbay/protocol';
import type { Scenario } from '@patchbay/scenarios';
import { builtinOr400, parseScenarioBody } from '../classroom/scenario-source.js';
import { HttpError } from '../http-error.js';

const Id = Type.String({ minLength: 1, maxLength: 64 });
const SessionParams = Type.Object({ id: Id });
const StudentParams = Type.Object({ id: Id, student: Id });
const errors = { 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema, 500: ErrorBodySchema };

const sessions: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/sessions',
    {
      schema: {
        summary: 'Opens a class session from a built-in scenario or a scenario file (instructors)',
        description: 'Exactly one of `scenario` (a built-in id) and `text` (a scenario file, lab inline). The scenario is kept as it is now: later changes to the library do not change the session.',
        body: SessionCreateInputSchema,
        response: { 201: SessionSchema, 400: ProblemsErrorSchema, 413: ErrorBodySchema, ...errors },
      },
    },
    async (req, reply) => {
      app.auth.assertInstructor(req, 'open a class session');
      const { scenario: id, text } = req.body;
      if ((id === undefined) === (text === undefined)) {
        throw new HttpError(400, 'invalid', 'give exactly one of scenario (a built-in id) and text (a scenario file); nothing was created', [
          { path: '', code: 'session.scenario', message: 'exactly one of scenario and text' },
        ]);
      }
      const scenario: Scenario = id !== undefined ? builtinOr400(id).scenario : parseScenarioBody(text!);
      return reply.code(201).send(app.classroom.create(scenario));
    },
  );

  app.get('/api/sessions', { schema: { summary: 'Class sessions, newest first (instructors)', response: { 200: SessionListSchema, ...errors } } }, async (req) => {
    app.auth.assertInstructor(req, 'list class sessions');
    return { sessions: app.classroom.list() };
  });

  app.get(
    '/api/sessions/:id',
    { schema: { summary: 'A class session with every student’s progress (instructors)', params: SessionParams, response: { 200: SessionSchema, ...errors } } },
    async (req) => {
      app.auth.assertInstructor(req, 'see a class session');
      return app.classroom.get(req.params.id);
    },
  );

  app.delete(
    '/api/sessions/:id',
    { schema: { summary: 'Ends a class session: destroys every student’s lab, revokes their tokens (instructors)', params: SessionParams, response: { 200: SessionEndedSchema, ...errors } } },
    async (req) => {
      app.auth.assertInstructor(req, 'end a class session');
      return app.classroom.end(req.params.id);
    },
  );

  app.post(
    '/api/sessions/:id/students/:student/reset',
    {
      schema: {
        summary: 'Puts a student’s lab back as the scenario starts, then runs its checks (instructors)',
        params: StudentParams,
        response: { 200: CheckRunSchema, 409: ErrorBodySchema, ...errors },
      },
    },
    async (req) => {
      app.auth.assertInstructor(req, 'reset a student’s lab');
      return app.classroom.resetStudent(req.params.id, req.params.student);
    },
  );

  app.post(
    '/api/join',
    {
      config: { public: true },
      schema: {
        summary: 'Joins a class session: a lab of one’s own and a token that covers only it (no token needed)',
        description: 'The code in any case. 404: no session has this code; 410: the session has ended; 409: it is full.',
        body: JoinInputSchema,
        response: { 200: JoinedSchema, 400: ProblemsErrorSchema, 404: ErrorBodySchema, 409: ErrorBodySchema, 410: ErrorBodySchema, 429: ErrorBodySchema, 500: ErrorBodySchema },
      },
    },
    async (req) => app.classroom.join(req.body.code, req.body.name),
  );
};
export default sessions;
