// The lab routes of API.md: thin calls into the engine; errors go to the app's error handler.
// (`POST /api/labs/:name/why` has its own module, routes/why.ts: its bounds and the scenario's say.)
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EngineError, labState } from '@patchbay/engine';
import { routes, type ApplyResponse } from '@patchbay/protocol';
import { opCommand, type Lab } from '@patchbay/topology';
import { labOfText, labOfValue } from '../documents.js';
import { validationProblems } from '../errors.js';
import { HttpError } from '../http-error.js';
import { route } from './route.js';
import { allLabs } from '../agents/lab-list.js';

const labs: FastifyPluginAsyncTypebox = async (app) => {
  // A class session's student lab says whose it is (its name, `s<code>-<nn>`, does not).
  // Every agent's labs: the local engine's and each remote agent's (agents/lab-list.ts).
  route(app, routes.listLabs, async (req) => ({
    labs: await Promise.all(
      (await allLabs(app))
        .filter((l) => app.auth.covers(req, l.name))
        .map(async (l) => {
          const student = await app.classroom.labStudent(l.name);
          return student ? { ...l, student } : l;
        }),
    ),
  }));

  // Ajv checks the JSON body against the lab schema, but the problems reported come from the lab
  // parser (the CLI's): the same paths, codes and messages, and YAML bodies too.
  route(
    app,
    routes.applyLab,
    async (req): Promise<ApplyResponse> => {
      const { name } = req.params;
      app.auth.assertLab(req, name);
      // The query is checked here: with a YAML body (a string, never valid for the body schema),
      // Fastify stops at the body's finding and never checks the query, and a mistyped dry run
      // (`?dryRun=1`, `?dryrun=true`) would apply for real.
      const query: Record<string, unknown> = req.query;
      const badQuery = Object.keys(query).find((k) => k !== 'dryRun' || (query[k] !== 'true' && query[k] !== 'false'));
      if (badQuery !== undefined) {
        const message =
          badQuery === 'dryRun' ? 'must be true or false' : 'is not a parameter of this route (only dryRun)';
        throw new HttpError(400, 'invalid', 'the request is not valid; nothing was changed', [
          { path: badQuery, code: 'query.invalid', message },
        ]);
      }
      const body: unknown = req.body;
      // YAML text through the lab parser, a JSON value checked as it is (no body: the parser says what is missing).
      const lab: Lab =
        typeof body === 'string' ? await labOfText(app.engine, body, app.limits) : await labOfValue(app.engine, body);
      if (req.validationError && typeof body !== 'string') {
        // The lab parser accepted what the schema did not: report the schema's findings.
        throw new EngineError(
          'invalid',
          'the lab document has problems; nothing was changed',
          validationProblems(req.validationError as never),
        );
      }
      if (lab.name !== name) {
        throw new HttpError(400, 'invalid', 'the document is for another lab; nothing was changed', [
          {
            path: 'name',
            code: 'name.mismatch',
            message: `the document's name is ${JSON.stringify(lab.name)}, but the address says ${JSON.stringify(name)}`,
          },
        ]);
      }
      if (req.scope?.role === 'student' && Object.keys(lab.nodes).length > app.limits.studentNodesPerLab) {
        throw new HttpError(
          403,
          'quota',
          `quota: a student's lab may have at most ${app.limits.studentNodesPerLab} nodes (this one has ${Object.keys(lab.nodes).length}); nothing was changed`,
        );
      }
      const dryRun = req.query.dryRun === 'true';
      // A student's own change of their lab: refused in a terminals-only session, recorded otherwise
      // (the dashboard shows it). A dry run changes nothing.
      const byStudent = req.scope?.role === 'student' && !dryRun;
      if (byStudent) await app.classroom.assertStudentMayChange(name, 'apply your lab');
      // The live services follow the lab through the engine's lifecycle events (plugins/services/live.ts).
      const result = await app.engine.apply(lab, { dryRun });
      if (!dryRun) await app.store.labs.put(lab.name, lab);
      if (byStudent) await app.classroom.recordStudentChange(name);
      return {
        lab: result.lab,
        revision: result.revision,
        ops: result.ops.map((o) => ({
          phase: o.phase,
          kind: o.kind,
          action: o.action,
          subject: o.subject,
          reason: o.reason,
          command: opCommand(o),
        })),
        drift: result.drift.map(
          (c) =>
            `${c.node || c.ns}: ${c.kind} ${c.action}${'name' in c ? ` ${String(c.name)}` : ''} still differs after apply`,
        ),
        warnings: result.warnings.map(({ path, code, message }) => ({ path, code, message })),
        timings: result.timings,
        dryRun,
      };
    },
    { attachValidation: true, document: true, forwarded: true },
  );

  route(
    app,
    routes.getLab,
    async (req) => {
      app.auth.assertLab(req, req.params.name);
      const entry = await app.engine.entry(req.params.name);
      if (!entry.lab) throw new EngineError('not-found', `lab ${req.params.name} has not been applied yet`);
      return entry.lab;
    },
    { forwarded: true },
  );

  route(
    app,
    routes.labState,
    async (req) => {
      app.auth.assertLab(req, req.params.name);
      return labState(app.engine, req.params.name);
    },
    { forwarded: true },
  );

  route(
    app,
    routes.destroyLab,
    async (req) => {
      app.auth.assertLab(req, req.params.name);
      const byStudent = req.scope?.role === 'student';
      if (byStudent) await app.classroom.assertStudentMayChange(req.params.name, 'destroy your lab');
      // The live services end what runs in the lab's namespaces on the engine's `removing` event.
      const { removed } = await app.engine.destroy(req.params.name);
      await app.store.labs.delete(req.params.name);
      if (byStudent) await app.classroom.recordStudentChange(req.params.name);
      return { lab: req.params.name, removed };
    },
    { forwarded: true },
  );
};
export default labs;
