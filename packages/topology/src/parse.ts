// Lab file text (YAML or JSON: JSON is YAML) → a typed Lab plus every problem found, in three
// stages: YAML syntax, structure (the TypeBox schema), meaning (`validateLab`). Each stage runs only
// when the one before succeeded, because its checks would only echo the earlier problems.

import { Document, visit, isMap, isSeq, isScalar, type Node as YamlNode } from 'yaml';
import type { TSchema } from '@sinclair/typebox';
import type { Lab, Problem } from './model.js';
import {
  LabSchema,
  NodeSchema,
  OverlayMemberSchema,
  RouteSchema,
  BridgeSchema,
  NetNodeSchema,
  BridgeMemberSchema,
  HostMemberSchema,
  ViaRouteSchema,
  DevRouteSchema,
  RunObjectSchema,
  RunSchema,
} from './schema.js';
import { structureProblems } from './parse-structure.js';
import { asTopLevelMap, readYamlMap } from './read-document.js';
import { checkLab, validateLab, type ValidateOptions } from './validate.js';

export const DEFAULT_MAX_BYTES = 1024 * 1024;

export interface ParseOptions extends ValidateOptions {
  /** Largest accepted file, in UTF-8 bytes. Default 1 MiB. */
  maxBytes?: number;
}

export interface ParseResult {
  /** Present when the file has the lab's structure (even if `problems` lists semantic problems). */
  lab?: Lab;
  problems: Problem[];
  /** Present when the lab's meaning was checked: what applies but probably is not meant (`severity: 'warning'`). */
  warnings?: Problem[];
}

const LAB_FILE = { what: 'lab', notAMap: { code: 'schema.type', expected: 'name, nodes and links' } } as const;

/** Parses a lab file and returns the lab and every problem (structure first, then meaning). */
export function parseLabText(text: string, opts: ParseOptions = {}): ParseResult {
  const read = readYamlMap(text, { maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES, ...LAB_FILE });
  if ('problems' in read) return read;
  return checkLabValue(read.value, opts);
}

/**
 * A lab document already parsed (a JSON request body): the same structure and meaning checks as
 * `parseLabText` on its text, without turning it into text and parsing it again as YAML — the YAML
 * parse is by far the costliest step of reading a large lab.
 */
export function parseLabValue(value: unknown, opts: ValidateOptions = {}): ParseResult {
  const map = asTopLevelMap(value, LAB_FILE);
  if ('problems' in map) return map;
  return checkLabValue(map.value, opts);
}

function checkLabValue(value: Record<string, unknown>, opts: ValidateOptions): ParseResult {
  const structural = structureProblems(LabSchema, value);
  const hard = structural.filter((p) => !p.soft);
  const strip = (ps: typeof structural): Problem[] => ps.map(({ path, code, message }) => ({ path, code, message }));
  if (hard.length > 0) {
    // Report what the meaning checks find too, so that one round of fixes is enough. They were
    // written for well-formed labs: a shape too broken for them is skipped, not a crash, and a
    // problem inside a part already reported as malformed is left out.
    let semantic: Problem[];
    try {
      semantic = validateLab(value as unknown as Lab, opts);
    } catch {
      semantic = [];
    }
    const inside = (path: string, outer: string) =>
      outer === '' || path === outer || path.startsWith(`${outer}.`) || path.startsWith(`${outer}[`);
    const extra = semantic.filter((p) => !structural.some((q) => inside(p.path, q.path)));
    return { problems: [...strip(structural), ...extra] };
  }

  const lab = value as unknown as Lab;
  const { problems, warnings } = checkLab(lab, opts);
  // Every soft structural constraint has a counterpart in validateLab; should one ever not, the
  // schema's own message is still better than accepting the file.
  if (problems.length === 0 && structural.length > 0) return { lab, problems: strip(structural), warnings };
  return { lab, problems, warnings };
}

export const parseLab = parseLabText;

/** `path: message`, or the message alone for whole-file problems. */
export function formatProblem(p: Problem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

/**
 * A copy of `value` with object keys in the schema's order (name, description, nodes, links,
 * overlays; `kind` first in a node), so saved files diff cleanly. Unions are resolved the same way
 * as in the structural check; keys the schema does not know are kept at the end.
 */
function canonical(schema: TSchema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = (schema as { items?: TSchema }).items;
    return items ? value.map((v) => canonical(items, v)) : value;
  }
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  const branch = pickBranch(schema, v);
  const props = (branch as { properties?: Record<string, TSchema> }).properties;
  const out: Record<string, unknown> = {};
  if (props) {
    for (const [k, s] of Object.entries(props)) if (v[k] !== undefined) out[k] = canonical(s, v[k]);
    for (const [k, x] of Object.entries(v)) if (!(k in props) && x !== undefined) out[k] = x;
    return out;
  }
  const rec = (branch as { patternProperties?: Record<string, TSchema> }).patternProperties;
  const each = rec ? Object.values(rec)[0] : undefined;
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = each ? canonical(each, x) : x;
  return out;
}

function pickBranch(schema: TSchema, v: Record<string, unknown>): TSchema {
  if (schema === NodeSchema) return v.kind === 'bridge' ? BridgeSchema : NetNodeSchema;
  if (schema === RouteSchema) return 'dev' in v && !('via' in v) ? DevRouteSchema : ViaRouteSchema;
  if (schema === OverlayMemberSchema) return 'bridge' in v ? BridgeMemberSchema : HostMemberSchema;
  if (schema === RunSchema) return RunObjectSchema;
  return schema;
}

/** JSON with stable key order, two-space indent and a trailing newline. */
export function labToJson(lab: Lab): string {
  return `${JSON.stringify(canonical(LabSchema, lab), null, 2)}\n`;
}

/**
 * YAML with stable key order, in the style of the examples: small leaf collections (link ends,
 * routes, address lists) on one line as flow collections, structure as block collections.
 */
export function labToYaml(lab: Lab): string {
  const doc = new Document(canonical(LabSchema, lab));
  visit(doc, {
    Collection(_key, node, path) {
      // path is [Document, top map, Pair, …]: the top-level map and its values (nodes, links) stay block.
      if (path.length <= 3) return;
      if (depth(node) <= 2 && JSON.stringify(node.toJSON()).length <= 100) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

function depth(node: YamlNode | null | undefined): number {
  if (isMap(node)) return 1 + Math.max(0, ...node.items.map((p) => depth(p.value as YamlNode | null)));
  if (isSeq(node)) return 1 + Math.max(0, ...node.items.map((i) => depth(i as YamlNode | null)));
  if (isScalar(node)) return 0;
  return 0;
}
