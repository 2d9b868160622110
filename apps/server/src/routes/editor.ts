// Routes for the web editor: drafts (the working copy, saved as the user draws, with its layout),
// the examples gallery, and the `ip` script of a drawing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { scriptFor } from '@patchbay/engine';
import { DraftListSchema, DraftPutSchema, DraftSchema, ErrorBodySchema, ExampleListSchema, LabDocument, ProblemsErrorSchema, ScriptResponseSchema, type Example } from '@patchbay/protocol';
import { NAME_RE } from '@patchbay/topology';
import { HttpError } from '../http-error.js';

/** The examples shipped with Patchbay (a copy of the spec's examples), or PATCHBAY_EXAMPLES. */
export const EXAMPLES_DIR = process.env['PATCHBAY_EXAMPLES'] ?? fileURLToPath(new URL('../../../../examples/', import.meta.url));

const Params = Type.Object({ name: Type.String({ pattern: NAME_RE.source, description: 'Lab name.' }) });
const errors = { 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema, 500: ErrorBodySchema };

function loadExamples(dir: string): Example[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    return [];
  }
  return files.map((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const description = text
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .map((l) => l.replace(/^#\s?/, ''))
      .join(' ')
      .trim();
    const name = /^name:\s*(\S+)/m.exec(text)?.[1] ?? file.replace(/\.ya?ml$/, '');
    return { file, name, description, text };
  });
}

const editor: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/drafts', { schema: { summary: 'Drafts the token may see, newest first', response: { 200: DraftListSchema, 401: ErrorBodySchema } } }, async (req) => ({
    drafts: app.store.drafts.list().filter((d) => app.auth.covers(req, d.name)),
  }));

  app.get('/api/drafts/:name', { schema: { summary: "The editor's working copy of a lab, with its layout", params: Params, response: { 200: DraftSchema, ...errors } } }, async (req) => {
    app.auth.assertLab(req, req.params.name);
    const d = app.store.drafts.get(req.params.name);
    if (!d) throw new HttpError(404, 'not-found', `no draft named ${req.params.name}`);
    return d as never;
  });

  app.put(
    '/api/drafts/:name',
    {
      schema: {
        summary: 'Saves the working copy (valid or not) and its layout; nothing is applied',
        params: Params,
        body: DraftPutSchema,
        response: { 200: Type.Object({ name: Type.String(), updatedAt: Type.String() }), 400: ProblemsErrorSchema, 413: ErrorBodySchema, ...errors },
      },
    },
    async (req) => {
      app.auth.assertLab(req, req.params.name);
      const updatedAt = app.store.drafts.put(req.params.name, req.body.document, req.body.layout);
      return { name: req.params.name, updatedAt };
    },
  );

  app.delete('/api/drafts/:name', { schema: { summary: 'Forgets a draft', params: Params, response: { 204: Type.Null(), ...errors } } }, async (req, reply) => {
    app.auth.assertLab(req, req.params.name);
    app.store.drafts.delete(req.params.name);
    return reply.code(204).send(null);
  });

  app.get('/api/examples', { schema: { summary: 'The example labs (the gallery)', response: { 200: ExampleListSchema, 401: ErrorBodySchema } } }, async () => ({
    examples: loadExamples(EXAMPLES_DIR),
  }));

  app.post(
    '/api/script',
    {
      attachValidation: true,
      schema: {
        summary: 'The shell script (ip, bridge, iptables) that builds a lab document from nothing',
        body: LabDocument,
        response: { 200: ScriptResponseSchema, 400: ProblemsErrorSchema, 401: ErrorBodySchema },
      },
    },
    async (req) => {
      // The same parser and limits as an apply: a document with problems answers 400 with all of them.
      const lab = await app.engine.load(JSON.stringify(req.body ?? null));
      return { script: scriptFor(lab, app.engine.prefix) };
    },
  );
};
export default editor;
