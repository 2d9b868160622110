// Lab documents in requests: bounded before they are parsed, then read without a second parse.
// A JSON body is already a value when the route sees it (Fastify's JSON.parse, ~2 ms per 100 KiB):
// its nodes and links are counted at once, and a document over the limits is refused before the
// schema check, the lab parser or the compiler spend anything on it. A YAML body is bounded by its
// size (its parse costs ~1 ms per KiB on a busy 2-core machine). Measured in documents.test.ts.
import type { Engine } from '@patchbay/engine';
import { EngineError } from '@patchbay/engine';
import { parseLabValue, type Lab } from '@patchbay/topology';
import { HttpError } from './http-error.js';
import type { Limits } from './limits.js';

export type DocumentLimits = Pick<Limits, 'documentMaxNodes' | 'documentMaxLinks' | 'documentMaxYamlBytes'>;

const kib = (n: number): string => `${Math.ceil(n / 1024)} KiB`;

/** Refuses (413) a request document over the limits, from its size or its counts alone. */
export function assertDocumentBounds(body: unknown, limits: DocumentLimits): void {
  if (typeof body === 'string') {
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > limits.documentMaxYamlBytes)
      throw new HttpError(
        413,
        'too-large',
        `the YAML document is ${kib(bytes)}; the limit for a YAML body is ${kib(limits.documentMaxYamlBytes)} (documentMaxYamlBytes): send a larger lab as JSON; nothing was changed`,
      );
    return;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return; // the parser says what is wrong
  const { nodes, links } = body as { nodes?: unknown; links?: unknown };
  const nodeCount = nodes !== null && typeof nodes === 'object' ? Object.keys(nodes).length : 0;
  const linkCount = Array.isArray(links) ? links.length : 0;
  assertCounts(nodeCount, linkCount, limits);
}

/** Refuses (413) a parsed lab over the node and link limits (a scenario's lab, before it is realized). */
export function assertLabBounds(lab: Lab, limits: DocumentLimits): void {
  assertCounts(Object.keys(lab.nodes).length, lab.links.length, limits);
}

function assertCounts(nodeCount: number, linkCount: number, limits: DocumentLimits): void {
  if (nodeCount > limits.documentMaxNodes)
    throw new HttpError(
      413,
      'too-large',
      `the lab has ${nodeCount} nodes; a request may carry at most ${limits.documentMaxNodes} (documentMaxNodes); nothing was changed`,
    );
  if (linkCount > limits.documentMaxLinks)
    throw new HttpError(
      413,
      'too-large',
      `the lab has ${linkCount} links; a request may carry at most ${limits.documentMaxLinks} (documentMaxLinks); nothing was changed`,
    );
}

/** The lab of a YAML body, through the engine's parser (the CLI's); 413 beyond the counts. */
export async function labOfText(engine: Engine, text: string, limits: DocumentLimits): Promise<Lab> {
  const lab = await engine.load(text);
  assertCounts(Object.keys(lab.nodes).length, lab.links.length, limits);
  return lab;
}

/**
 * The lab of a JSON body: the same structure and meaning checks as the parser's, without turning the
 * value back into text to parse it again. Throws the engine's `invalid`/`unsupported` errors with
 * every problem.
 */
export async function labOfValue(engine: Engine, value: unknown): Promise<Lab> {
  const { lab, problems } = parseLabValue(value ?? null, { maxNodes: engine.settings.maxNodes });
  if (!lab || problems.length)
    throw new EngineError('invalid', 'the lab file has problems; nothing was changed', problems);
  return engine.validate(lab);
}
