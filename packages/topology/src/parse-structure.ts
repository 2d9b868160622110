// Structural check of a parsed lab file against the TypeBox schema, with messages for students.
// TypeBox reports a failed union as one error carrying every branch's errors; dumping those would
// list bridge fields for a mistyped router. Instead each union here is resolved by what the value
// says it is (a node's `kind`, a route's `via`/`dev`, a member's `bridge`/`host`) and checked
// against that branch alone. The words and paths come from the translator both file formats share
// (schema-problems.ts); this file adds the lab's codes and its special cases.

import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import type { Problem } from './model.js';
import {
  BridgeMemberSchema,
  BridgeSchema,
  DevRouteSchema,
  HostMemberSchema,
  NetNodeSchema,
  NodeSchema,
  OverlayMemberSchema,
  RouteSchema,
  RunObjectSchema,
  RunSchema,
  ViaRouteSchema,
} from './schema.js';
import { CIDR_PATTERN, IP_PATTERN, IPV4_PATTERN } from './schema.js';
import { IFNAME_RE, NAME_RE } from './naming.js';
import { describeValue, literalChoices, pointerToPath, schemaErrors, translateSchemaError } from './schema-problems.js';
import { ifnameProblem, nameWhy } from './validate-context.js';

export const NODE_KINDS = ['host', 'netns', 'router', 'bridge'] as const;

/**
 * Value constraints (ranges, patterns, list lengths) on an otherwise well-typed lab. `validateLab`
 * reports each of them with a specific code, so they are only reported from here when the lab is
 * too broken to validate.
 */
const SOFT = new Set<ValueErrorType>([
  ValueErrorType.NumberMinimum,
  ValueErrorType.NumberMaximum,
  ValueErrorType.IntegerMinimum,
  ValueErrorType.IntegerMaximum,
  ValueErrorType.StringPattern,
  ValueErrorType.ArrayMinItems,
]);

export interface StructureProblem extends Problem {
  soft: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks `value` against `schema`; problem paths are relative to `root` (for array/map detection). */
export function structureProblems(schema: TSchema, root: unknown): StructureProblem[] {
  const out: StructureProblem[] = [];
  collect(schema, root, '', root, out, new Set());
  const seen = new Set<string>();
  return out.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function collect(
  schema: TSchema,
  value: unknown,
  prefix: string,
  root: unknown,
  out: StructureProblem[],
  ignore: Set<string>,
): void {
  for (const e of schemaErrors(schema, value)) {
    if (ignore.has(e.path)) continue;
    const ptr = prefix + e.path;
    if (e.type === ValueErrorType.Union) collectUnion(e, ptr, root, out);
    else out.push(convert(e, ptr, root));
  }
}

function add(out: StructureProblem[], root: unknown, ptr: string, code: string, message: string, soft = false): void {
  out.push({ path: pointerToPath(root, ptr), code, message, soft });
}

function collectUnion(e: ValueError, ptr: string, root: unknown, out: StructureProblem[]): void {
  const v = e.value;
  if (e.schema === NodeSchema) {
    if (!isObject(v))
      return add(out, root, ptr, 'schema.type', `must be a node (a map with a kind field), not ${describeValue(v)}`);
    const kinds = NODE_KINDS.join(', ');
    if (v.kind === undefined) return add(out, root, `${ptr}/kind`, 'schema.required', `required: one of ${kinds}`);
    if (typeof v.kind !== 'string' || !(NODE_KINDS as readonly string[]).includes(v.kind)) {
      return add(out, root, `${ptr}/kind`, 'schema.enum', `must be one of ${kinds}, not ${describeValue(v.kind)}`);
    }
    return collect(v.kind === 'bridge' ? BridgeSchema : NetNodeSchema, v, ptr, root, out, new Set());
  }
  if (e.schema === RouteSchema) {
    if (!isObject(v))
      return add(
        out,
        root,
        ptr,
        'schema.type',
        `must be a route ({ to, via } or { to, dev }), not ${describeValue(v)}`,
      );
    const hasVia = 'via' in v;
    const hasDev = 'dev' in v;
    // IPv6 gateways may name their interface (a link-local one must: validate-routes6).
    const v6Via = typeof v.via === 'string' && v.via.includes(':');
    if (hasVia && hasDev && !v6Via) {
      add(
        out,
        root,
        ptr,
        'route.invalid',
        'a route takes via (a gateway) or dev (an interface), not both (both only for an IPv6 gateway)',
      );
      return collect(ViaRouteSchema, v, ptr, root, out, new Set(['/dev']));
    }
    if (!hasVia && !hasDev) {
      add(out, root, ptr, 'route.invalid', 'a route needs via (a gateway address) or dev (an interface of this node)');
      return collect(ViaRouteSchema, v, ptr, root, out, new Set(['/via']));
    }
    return collect(hasVia ? ViaRouteSchema : DevRouteSchema, v, ptr, root, out, new Set());
  }
  if (e.schema === OverlayMemberSchema) {
    if (!isObject(v))
      return add(
        out,
        root,
        ptr,
        'schema.type',
        `must be a member ({ bridge, local } or { host, local, addresses }), not ${describeValue(v)}`,
      );
    const hasBridge = 'bridge' in v;
    const hasHost = 'host' in v;
    if (hasBridge && hasHost) {
      add(
        out,
        root,
        ptr,
        'overlay.invalid',
        'a member is either { bridge, local } (layer 2) or { host, local, addresses } (layer 3), not both',
      );
      return collect(HostMemberSchema, v, ptr, root, out, new Set(['/bridge']));
    }
    if (!hasBridge && !hasHost) {
      add(
        out,
        root,
        ptr,
        'overlay.invalid',
        'a member needs bridge (a bridge node, layer 2) or host (a host node, layer 3)',
      );
      return collect(HostMemberSchema, v, ptr, root, out, new Set(['/host']));
    }
    return collect(hasBridge ? BridgeMemberSchema : HostMemberSchema, v, ptr, root, out, new Set());
  }
  if (e.schema === RunSchema) {
    // A run line: a string, or { name, command } (a map is checked as the map it is meant to be)
    if (isObject(v)) return collect(RunObjectSchema, v, ptr, root, out, new Set());
    return add(
      out,
      root,
      ptr,
      'schema.type',
      `must be a command (a string) or { name, command }, not ${describeValue(v)}`,
    );
  }
  const literals = literalChoices(e.schema);
  if (literals)
    return add(out, root, ptr, 'schema.enum', `must be one of ${literals.join(', ')}, not ${describeValue(v)}`);
  // Any other union: report against the branch that comes closest.
  const branches: TSchema[] = (e.schema as { anyOf?: TSchema[] }).anyOf ?? [];
  const best = branches.map((b) => ({ b, n: [...Value.Errors(b, v)].length })).sort((x, y) => x.n - y.n)[0];
  if (best) collect(best.b, v, ptr, root, out, new Set());
  else add(out, root, ptr, 'schema.type', 'has the wrong shape');
}

function convert(e: ValueError, ptr: string, root: unknown): StructureProblem {
  const path = pointerToPath(root, ptr);
  const { kind, message } = translateSchemaError(e);
  const mk = (code: string, soft = false): StructureProblem => ({ path, code, message, soft });
  switch (kind) {
    case 'required':
      return mk('schema.required');
    case 'unknown-field':
      return mk('schema.unknown-field');
    case 'type':
      return mk('schema.type');
    case 'enum':
      return mk('schema.enum');
    case 'range':
      return mk(rangeCode(ptr), true);
    case 'pattern':
      return patternProblem(path, String((e.schema as { pattern?: unknown }).pattern), e.value as string);
    case 'min-items':
      return mk(ptr.startsWith('/services/') ? 'service.ports' : 'overlay.members', true);
    default:
      // (unions are resolved by collectUnion before they get here)
      return { path, code: 'schema.invalid', message: e.message, soft: SOFT.has(e.type) };
  }
}

// Soft problems carry the code validateLab would give them, so a problem keeps its code whether or
// not the rest of the file was well-formed enough to validate.
function rangeCode(ptr: string): string {
  const tokens = ptr.split('/').filter((t) => !/^[0-9]+$/.test(t));
  const last = tokens[tokens.length - 1];
  if (last === 'mtu') return 'mtu.invalid';
  if (last === 'pvid' || last === 'tagged') return 'vlan.invalid';
  if (tokens.includes('portForwards')) return 'portforward.invalid';
  if (tokens.includes('overlays')) return 'overlay.invalid';
  if (tokens.includes('services')) return last === 'nodePort' ? 'service.nodeport-range' : 'service.port-invalid';
  return 'schema.range';
}

function patternProblem(path: string, pattern: string, value: string): StructureProblem {
  const mk = (code: string, message: string): StructureProblem => ({ path, code, message, soft: true });
  if (pattern === NAME_RE.source) {
    return mk(
      'name.invalid',
      `"${value}" must match [a-z][a-z0-9-]{0,23}: ${nameWhy(value)} (names reach the kernel as namespace and device names)`,
    );
  }
  if (pattern === IFNAME_RE.source)
    return mk('iface.invalid', ifnameProblem(value) ?? `${value} is not a valid interface name`);
  // Text with a colon was meant as IPv6: say which form each family takes.
  const v6 = String(value).includes(':');
  if (pattern === CIDR_PATTERN)
    return mk(
      'addr.invalid',
      v6
        ? `${value} is not an IPv6 address in CIDR form (e.g. 2001:db8::1/64)`
        : `${value} is not an IPv4 address in CIDR form (a.b.c.d/len)`,
    );
  if (pattern === IP_PATTERN) return mk('addr.invalid', `${value} is not an ${v6 ? 'IPv6' : 'IPv4'} address`);
  if (pattern === IPV4_PATTERN) return mk('addr.invalid', `${value} is not an IPv4 address`);
  return mk('schema.pattern', `${describeValue(value)} does not have the expected form (${pattern})`);
}
