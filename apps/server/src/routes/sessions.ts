// Class sessions (instructors) and joining one (students, no token yet: public, rate limited per
// client address like every token-less request).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routes } from '@patchbay/protocol';
import type { Scenario } from '@patchbay/scenarios';
import { builtinOr400, parseScenarioBody } from '../classroom/scenario-source.js';
import { HttpError } from '../http-error.js';
import { route } from './route.js';

const sessions: FastifyPluginAsyncTypebox = async (app) => {
  route(app, routes.createSession, async (req, reply) => {
    app.auth.assertInstructor(req, 'open a class session');
    const { scenario: id, text } = req.body;
    if ((id === undefined) === (text === undefined)) {
      throw new HttpError(
        400,
        'invalid',
        'give exactly one of scenario (a built-in id) and text (a scenario file); nothing was created',
        [{ path: '', code: 'session.scenario', message: 'exactly one of scenario and text' }],
      );
    }
    const scenario: Scenario = id !== undefined ? builtinOr400(id).scenario : parseScenarioBody(text!);
    return reply.code(201).send(app.classroom.create(scenario));
  });

  route(app, routes.listSessions, async (req) => {
    app.auth.assertInstructor(req, 'list class sessions');
    return { sessions: app.classroom.list() };
  });

  route(app, routes.getSession, async (req) => {
    app.auth.assertInstructor(req, 'see a class session');
    return app.classroom.get(req.params.id);
  });

  route(app, routes.endSession, async (req) => {
    app.auth.assertInstructor(req, 'end a class session');
    return app.classroom.end(req.params.id);
  });

  route(app, routes.resetStudent, async (req) => {
    app.auth.assertInstructor(req, 'reset a student’s lab');
    return app.classroom.resetStudent(req.params.id, req.params.student);
  });

  route(app, routes.join, async (req) => app.classroom.join(req.body.code, req.body.name));
};
export default sessions;
