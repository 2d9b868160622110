// Class sessions (instructors: open, change seats and lock, remove a student, end) and joining one
// (students, no token yet: public; besides the generic limit of token-less requests, joins have a
// rate of their own per client address, checked before anything else).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routes } from '@patchbay/protocol';
import type { Scenario } from '@patchbay/scenarios';
import { builtinOr400, parseScenarioBody } from '../classroom/scenario-source.js';
import { HttpError } from '../http-error.js';
import { route } from './route.js';

const sessions: FastifyPluginAsyncTypebox = async (app) => {
  route(app, routes.createSession, async (req, reply) => {
    app.auth.assertInstructor(req, 'open a class session');
    const { scenario: id, text, seatLimit } = req.body;
    if ((id === undefined) === (text === undefined)) {
      throw new HttpError(
        400,
        'invalid',
        'give exactly one of scenario (a built-in id) and text (a scenario file); nothing was created',
        [{ path: '', code: 'session.scenario', message: 'exactly one of scenario and text' }],
      );
    }
    const scenario: Scenario = id !== undefined ? builtinOr400(id).scenario : parseScenarioBody(text!);
    return reply.code(201).send(await app.classroom.create(scenario, seatLimit));
  });

  route(app, routes.listSessions, async (req) => {
    app.auth.assertInstructor(req, 'list class sessions');
    return { sessions: await app.classroom.list() };
  });

  route(app, routes.getSession, async (req) => {
    app.auth.assertInstructor(req, 'see a class session');
    return app.classroom.get(req.params.id);
  });

  route(app, routes.updateSession, async (req) => {
    app.auth.assertInstructor(req, 'change a class session');
    return app.classroom.update(req.params.id, req.body);
  });

  route(app, routes.removeStudent, async (req) => {
    app.auth.assertInstructor(req, 'remove a student');
    return app.classroom.removeStudent(req.params.id, req.params.student);
  });

  route(app, routes.endSession, async (req) => {
    app.auth.assertInstructor(req, 'end a class session');
    return app.classroom.end(req.params.id);
  });

  route(app, routes.resetStudent, async (req) => {
    app.auth.assertInstructor(req, 'reset a student’s lab');
    return app.classroom.resetStudent(req.params.id, req.params.student);
  });

  route(app, routes.join, async (req, reply) => {
    const { joinRate } = app.classroom;
    const wait = joinRate.take(req.ip);
    if (wait !== undefined) {
      void reply.header('retry-after', String(wait));
      throw new HttpError(
        429,
        'rate-limited',
        `too many joins from this address: at most ${joinRate.perMinute} a minute (${joinRate.burst} at once); retry in ${wait} s`,
      );
    }
    return app.classroom.join(req.body.code, req.body.name, req.body.rejoin);
  });
};
export default sessions;
