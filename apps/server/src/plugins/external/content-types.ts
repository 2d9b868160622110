// Lab documents may come as YAML: the text is handed as it is to the engine's parser (the same one
// the CLI uses), which reports problems with their paths. A parsed JSON body nested deeper than
// MAX_BODY_DEPTH is refused before validation (the routes' JSON.stringify and the parser recurse),
// and a lab document over the document limits (documents.ts) before anything parses it.
import fp from 'fastify-plugin';
import { HttpError } from '../../http-error.js';
import { nestedDeeper } from '../../nesting.js';
import { assertDocumentBounds } from '../../documents.js';
import { YAML_TYPES as CONTRACT_YAML_TYPES } from '@patchbay/protocol';

/** The YAML content types of the contract (the lab document may come as YAML). */
export const YAML_TYPES = [...CONTRACT_YAML_TYPES];
/** A lab document nests 5 levels, a draft one more: far below what would overflow the stack. */
export const MAX_BODY_DEPTH = 64;

export default fp(
  async (app) => {
    app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
    app.addHook('preValidation', async (req) => {
      if (req.body !== null && typeof req.body === 'object' && nestedDeeper(req.body, MAX_BODY_DEPTH)) {
        const message = `the request body is nested deeper than ${MAX_BODY_DEPTH} levels`;
        throw new HttpError(400, 'invalid', message, [{ path: '', code: 'body.too-deep', message }]);
      }
      // A lab document's size and counts, before the schema check and the parser (documents.ts).
      if (req.routeOptions.config?.document) assertDocumentBounds(req.body, app.limits);
    });
  },
  { name: 'content-types' },
);
