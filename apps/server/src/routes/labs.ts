// The lab routes of API.md: thin calls into the engine; errors go to the app's error handler.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { EngineError, labState } from '@patchbay/engine';
import {
  ApplyResponseSchema,
  DestroyResponseSchema,
  ErrorBodySchema,
  LabDocument,
  LabListSchema,
  LabStateSchema,
  ProblemsErrorSchema,
  type ApplyResponse,
} from '@patchbay/protocol';
import { NAME_RE, opCommand, type Lab } from '@patchbay/topology';
import { YAML_TYPES } from '../plugins/external/content-types.js';
import { validationProblems } from '../errors.js';
import { HttpError } from '../http-error.js';

const Params = Type.Object({ name: Type.String({ pattern: NAME_RE.source, description: 'Lab name.' }) });
const ApplyQuery = Type.Object(
  { dryRun: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'true: answer with the plan, change nothing.' })) },
  { additionalProperties: false },
);
const errors = { 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema, 500: ErrorBodySchema };

const labs: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/labs',
    { schema: { summary: 'Labs the token may see, with status', response: { 200: LabListSchema, 401: ErrorBodySchema, 500: ErrorBodySchema } } },
    async (req) => ({ labs: (await app.engine.list()).filter((l) => app.auth.covers(req, l.name)) }),
  );

  app.put(
    '/api/labs/:name',
    {
      // Ajv checks the JSON body against the lab schema, but the problems reported come from the
      // lab parser (the CLI's): the same paths, codes and messages, and YAML bodies too.
      attachValidation: true,
      schema: {
        summary: 'Create the lab, or change it to match the document; answers with what was done',
        description: 'Body: a lab document as JSON, or as YAML with `Content-Type: application/yaml`. 400 with problems: nothing was changed.',
        consumes: ['application/json', ...YAML_TYPES],
        params: Params,
        querystring: ApplyQuery,
        body: LabDocument,
        response: { 200: ApplyResponseSchema, 400: ProblemsErrorSchema, 409: ErrorBodySchema, 413: ErrorBodySchema, ...errors },
      },
    },
    async (req): Promise<ApplyResponse> => {
      const { name } = req.params;
      app.auth.assertLab(req, name);
      // The query is checked here: with a YAML body (a string, never valid for the body schema),
      // Fastify stops at the body's finding and never checks the query, and a mistyped dry run
      // (`?dryRun=1`, `?dryrun=true`) would apply for real.
      const query: Record<string, unknown> = req.query;
      const badQuery = Object.keys(query).find((k) => k !== 'dryRun' || (query[k] !== 'true' && query[k] !== 'false'));
      if (badQuery !== undefined) {
        const message = badQuery === 'dryRun' ? 'must be true or false' : 'is not a parameter of this route (only dryRun)';
        throw new HttpError(400, 'invalid', 'the request is not valid; nothing was changed', [{ path: badQuery, code: 'query.invalid', message }]);
      }
      const body: unknown = req.body;
      const text = typeof body === 'string' ? body : JSON.stringify(body ?? null); // no body: the parser says what is missing
      const lab: Lab = await app.engine.load(text);
      if (req.validationError && typeof body !== 'string') {
        // The lab parser accepted what the schema did not: report the schema's findings.
        throw new EngineError('invalid', 'the lab document has problems; nothing was changed', validationProblems(req.validationError as never));
      }
      if (lab.name !== name) {
        throw new HttpError(400, 'invalid', 'the document is for another lab; nothing was changed', [
          { path: 'name', code: 'name.mismatch', message: `the document's name is ${JSON.stringify(lab.name)}, but the address says ${JSON.stringify(name)}` },
        ]);
      }
      if (req.scope?.role === 'student' && Object.keys(lab.nodes).length > app.limits.studentNodesPerLab) {
        throw new HttpError(403, 'quota', `quota: a student's lab may have at most ${app.limits.studentNodesPerLab} nodes (this one has ${Object.keys(lab.nodes).length}); nothing was changed`);
      }
      const dryRun = req.query.dryRun === 'true';
      // The live services follow the lab through the engine's lifecycle events (plugins/services/live.ts).
      const result = await app.engine.apply(lab, { dryRun });
      if (!dryRun) app.store.putLab(lab.name, lab);
      return {
        lab: result.lab,
        revision: result.revision,
        ops: result.ops.map((o) => ({ phase: o.phase, kind: o.kind, action: o.action, subject: o.subject, reason: o.reason, command: opCommand(o) })),
        drift: result.drift.map((c) => `${c.node || c.ns}: ${c.kind} ${c.action}${'name' in c ? ` ${String(c.name)}` : ''} still differs after apply`),
        timings: result.timings,
        dryRun,
      };
    },
  );

  app.get(
    '/api/labs/:name',
    { schema: { summary: 'The lab document as last applied', params: Params, response: { 200: LabDocument, ...errors } } },
    async (req) => {
      app.auth.assertLab(req, req.params.name);
      const entry = await app.engine.entry(req.params.name);
      if (!entry.lab) throw new EngineError('not-found', `lab ${req.params.name} has not been applied yet`);
      return entry.lab;
    },
  );

  app.get(
    '/api/labs/:name/state',
    { schema: { summary: 'Live kernel state, as `patchbay state --json`', params: Params, response: { 200: LabStateSchema, ...errors } } },
    async (req) => {
      app.auth.assertLab(req, req.params.name);
      return labState(app.engine, req.params.name);
    },
  );

  app.delete(
    '/api/labs/:name',
    { schema: { summary: 'Destroy the lab', params: Params, response: { 200: DestroyResponseSchema, 409: ErrorBodySchema, ...errors } } },
    async (req) => {
      app.auth.assertLab(req, req.params.name);
      const { removed } = await app.engine.destroy(req.params.name);
      app.store.deleteLab(req.params.name);
      return { lab: req.params.name, removed };
    },
  );
};
export default labs;
