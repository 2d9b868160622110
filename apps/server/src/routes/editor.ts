// Routes for the web editor: drafts (the working copy, saved as the user draws, with its layout),
// the examples gallery, and the `ip` script of a drawing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { scriptFor } from '@patchbay/engine';
import { routes, type Example } from '@patchbay/protocol';
import { labOfValue } from '../documents.js';
import { HttpError } from '../http-error.js';
import { route } from './route.js';

/** The examples shipped with Patchbay (a copy of the spec's examples), or PATCHBAY_EXAMPLES. */
export const EXAMPLES_DIR =
  process.env['PATCHBAY_EXAMPLES'] ?? fileURLToPath(new URL('../../../../examples/', import.meta.url));

function loadExamples(dir: string): Example[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
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
  route(app, routes.listDrafts, async (req) => ({
    drafts: (await app.store.drafts.list()).filter((d) => app.auth.covers(req, d.name)),
  }));

  route(app, routes.getDraft, async (req) => {
    app.auth.assertLab(req, req.params.name);
    const d = await app.store.drafts.get(req.params.name);
    if (!d) throw new HttpError(404, 'not-found', `no draft named ${req.params.name}`);
    return d as never;
  });

  route(app, routes.saveDraft, async (req) => {
    app.auth.assertLab(req, req.params.name);
    const updatedAt = await app.store.drafts.put(req.params.name, req.body.document, req.body.layout);
    return { name: req.params.name, updatedAt };
  });

  route(app, routes.deleteDraft, async (req, reply) => {
    app.auth.assertLab(req, req.params.name);
    await app.store.drafts.delete(req.params.name);
    return reply.code(204).send(null);
  });

  route(app, routes.listExamples, async () => ({
    examples: loadExamples(EXAMPLES_DIR),
  }));

  route(
    app,
    routes.labScript,
    async (req) => {
      // The same parser and limits as an apply: a document with problems answers 400 with all of them.
      const lab = await labOfValue(app.engine, req.body);
      return { script: scriptFor(lab, app.engine.prefix) };
    },
    { attachValidation: true, document: true },
  );
};
export default editor;
