// Scenario file text (YAML or JSON) → a typed Scenario plus every problem found: YAML syntax, the
// size limit, structure (the TypeBox schema, with paths such as `checks[2].from`), the lab (checked
// by topology's own `parseLabText`, its problem paths under `lab.`), then meaning: every node,
// interface and address a check or the solution names must make sense in that lab.
// Pure: no node:* imports. A lab given as a path is read through the caller's `readLab`.

import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Type } from '@sinclair/typebox';
import {
  describeValue,
  deviceName,
  formatProblem,
  isBridge,
  isBridgeMember,
  parseCidr,
  parseCidr6,
  parseIPv4,
  parseIPv6,
  parseLabText,
  pointerToPath,
  readYamlMap,
  schemaErrors,
  translateSchemaError,
  type Lab,
  type Problem,
} from '@patchbay/topology';
import type { Check, InterfaceRef, Scenario, ScenarioDocument } from './model.js';
import { CHECK_SCHEMAS, CHECK_TYPES, LAB_PATH_PATTERN, ScenarioSchema, SolutionStepSchema } from './schema.js';

export type { Problem } from '@patchbay/topology';

export const DEFAULT_MAX_SCENARIO_BYTES = 256 * 1024;

export interface ScenarioParseOptions {
  /** Returns the text of a lab file named by `lab: ./file.yaml` (relative to the scenario file). May throw. */
  readLab?: (path: string) => string;
  /** Largest accepted scenario file, in UTF-8 bytes. Default 256 KiB. */
  maxBytes?: number;
}

export interface ScenarioParseResult {
  /** Present when the scenario and its lab have the right structure (even if `problems` lists semantic problems). */
  scenario?: Scenario;
  problems: Problem[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a scenario file; returns the scenario (lab resolved) and every problem found. */
export function parseScenarioText(text: string, opts: ScenarioParseOptions = {}): ScenarioParseResult {
  const read = readYamlMap(text, {
    maxBytes: opts.maxBytes ?? DEFAULT_MAX_SCENARIO_BYTES,
    what: 'scenario',
    notAMap: { code: 'scenario.schema', expected: 'id, title, lab, checks…' },
  });
  if ('problems' in read) return read;
  const value = read.value;

  const problems = structureProblems(value);
  const structureOk = problems.length === 0;
  const { lab, labPath, problems: labProblems } = resolveLab(value.lab, opts);
  problems.push(...labProblems);
  if (lab) problems.push(...semanticProblems(value, lab));
  if (!structureOk || !lab) return { problems };

  const { lab: _written, ...rest } = value as unknown as ScenarioDocument;
  void _written;
  const scenario: Scenario = labPath === undefined ? { ...rest, lab } : { ...rest, lab, labPath };
  return { scenario, problems };
}

export const parseScenario = parseScenarioText;

// ---------------------------------------------------------------------------------------------
// Structure

/** The scenario without `lab` (checked by topology) and with checks resolved one by one by `type`. */
const ShapeSchema = Type.Object(
  {
    ...Object.fromEntries(
      Object.entries(ScenarioSchema.properties).filter(
        ([k]) => k !== 'lab' && k !== 'checks' && k !== 'solution' && k !== 'setup',
      ),
    ),
    checks: Type.Array(Type.Unknown(), { minItems: 1 }),
    setup: Type.Optional(Type.Array(Type.Unknown())),
    solution: Type.Array(Type.Unknown()),
  },
  { additionalProperties: false },
);

function structureProblems(value: Record<string, unknown>): Problem[] {
  const out: Problem[] = [];
  const { lab, ...rest } = value;
  collect(ShapeSchema, rest, '', out);
  if (!('lab' in value)) out.push({ path: 'lab', code: 'scenario.schema', message: 'required' });
  else if (typeof lab === 'string') {
    if (!new RegExp(LAB_PATH_PATTERN).test(lab)) {
      out.push({
        path: 'lab',
        code: 'scenario.schema',
        message: `"${lab}" must be a relative path such as ./lab.yaml, or a whole lab document`,
      });
    }
  } else if (!isObject(lab))
    out.push({
      path: 'lab',
      code: 'scenario.schema',
      message: `must be a lab document or a path such as ./lab.yaml, not ${describeValue(lab)}`,
    });

  if (Array.isArray(value.checks)) {
    value.checks.forEach((c, i) => {
      const path = `checks[${i}]`;
      if (!isObject(c))
        return out.push({
          path,
          code: 'scenario.schema',
          message: `must be a check (a map with a type field), not ${describeValue(c)}`,
        });
      const schema = typeof c.type === 'string' ? (CHECK_SCHEMAS as Record<string, TSchema>)[c.type] : undefined;
      if (c.type === undefined)
        return out.push({
          path: `${path}.type`,
          code: 'scenario.schema',
          message: `required: one of ${CHECK_TYPES.join(', ')}`,
        });
      if (!schema)
        return out.push({
          path: `${path}.type`,
          code: 'scenario.schema',
          message: `must be one of ${CHECK_TYPES.join(', ')}, not ${describeValue(c.type)}`,
        });
      collect(schema, c, path, out);
    });
  }
  for (const key of ['setup', 'solution'] as const) {
    const steps = value[key];
    if (Array.isArray(steps)) steps.forEach((s, i) => collect(SolutionStepSchema, s, `${key}[${i}]`, out));
  }
  return out;
}

/** The schema's problems with `value` (at `prefix` in the file), in the words lab files get too. */
function collect(schema: TSchema, value: unknown, prefix: string, out: Problem[]): void {
  const seen = new Set<string>();
  for (const e of schemaErrors(schema, value)) {
    const path = pointerToPath(value, e.path, prefix);
    const { message } = translateSchemaError(e);
    if (seen.has(`${path}\u0000${message}`)) continue;
    seen.add(`${path}\u0000${message}`);
    out.push({ path, code: 'scenario.schema', message });
  }
}

// ---------------------------------------------------------------------------------------------
// The lab

function resolveLab(raw: unknown, opts: ScenarioParseOptions): { lab?: Lab; labPath?: string; problems: Problem[] } {
  const under = (ps: Problem[], note = ''): Problem[] =>
    ps.map((p) => ({
      ...p,
      path: p.path === '' ? 'lab' : p.path.startsWith('[') ? `lab${p.path}` : `lab.${p.path}`,
      message: note + p.message,
    }));
  if (isObject(raw)) {
    const r = parseLabText(JSON.stringify(raw));
    return { ...(r.lab ? { lab: r.lab } : {}), problems: under(r.problems) };
  }
  if (typeof raw !== 'string' || !new RegExp(LAB_PATH_PATTERN).test(raw)) return { problems: [] }; // reported as structure
  if (!opts.readLab) {
    return {
      problems: [
        {
          path: 'lab',
          code: 'lab.path-unresolved',
          message: `the lab is a path (${raw}) but no lab file reader was given; embed the lab or parse with readLab`,
        },
      ],
    };
  }
  let text: string;
  try {
    text = opts.readLab(raw);
  } catch (err) {
    return {
      problems: [
        {
          path: 'lab',
          code: 'lab.unreadable',
          message: `cannot read ${raw}: ${err instanceof Error ? err.message : String(err)}`,
        },
      ],
    };
  }
  const r = parseLabText(text);
  return { ...(r.lab ? { lab: r.lab } : {}), labPath: raw, problems: under(r.problems, `in ${raw}: `) };
}

// ---------------------------------------------------------------------------------------------
// Meaning

/** Interface names of every node as the kernel will have them, and the ports of every bridge. */
export class LabIndex {
  readonly interfaces = new Map<string, Set<string>>();
  readonly ports = new Map<string, Set<string>>();

  constructor(readonly lab: Lab) {
    const nodes = isObject(lab.nodes) ? lab.nodes : {};
    for (const [name, n] of Object.entries(nodes)) {
      this.interfaces.set(name, new Set(isBridge(n) ? [deviceName(name)] : ['lo']));
      if (isBridge(n)) this.ports.set(name, new Set());
    }
    const add = (node: string, iface: string) => this.interfaces.get(node)?.add(iface);
    const hostOf = (bridge: string): string | undefined => {
      const b = nodes[bridge];
      return b && isBridge(b) ? b.host : undefined;
    };
    const addToBridge = (bridge: string, iface: string) => {
      add(bridge, iface);
      this.ports.get(bridge)?.add(iface);
      const host = hostOf(bridge);
      if (host) add(host, iface);
    };
    for (const [name, n] of Object.entries(nodes)) if (isBridge(n) && n.host) add(n.host, deviceName(name));
    for (const link of Array.isArray(lab.links) ? lab.links : []) {
      for (const end of [link.a, link.b]) {
        if (!end || typeof end.node !== 'string') continue;
        if (this.ports.has(end.node)) addToBridge(end.node, end.interface);
        else add(end.node, end.interface);
      }
    }
    for (const overlay of lab.overlays ?? []) {
      for (const m of overlay.members ?? []) {
        if (isBridgeMember(m)) addToBridge(m.bridge, deviceName(overlay.name));
        else add(m.host, deviceName(overlay.name));
      }
    }
    // A macvlan is an interface of its node too (its parent is a link's end, already added).
    for (const m of Array.isArray(lab.macvlans) ? lab.macvlans : []) {
      if (m && typeof m.node === 'string' && typeof m.interface === 'string') add(m.node, m.interface);
    }
  }

  has(node: string): boolean {
    return this.interfaces.has(node);
  }
  isBridge(node: string): boolean {
    return this.ports.has(node);
  }
  nodeNames(): string[] {
    return [...this.interfaces.keys()];
  }
}

const list = (xs: Iterable<string>): string => {
  const all = [...xs].sort();
  return all.length > 12 ? `${all.slice(0, 12).join(', ')}, …` : all.join(', ') || 'none';
};

function semanticProblems(value: Record<string, unknown>, lab: Lab): Problem[] {
  const out: Problem[] = [];
  const ix = new LabIndex(lab);
  const node = (path: string, name: string, code = 'check.node-unknown'): boolean => {
    if (ix.has(name)) return true;
    out.push({ path, code, message: `no node "${name}" in the lab (nodes: ${list(ix.nodeNames())})` });
    return false;
  };
  const iface = (path: string, nodeName: string, name: string): void => {
    const known = ix.interfaces.get(nodeName);
    if (!known || known.has(name)) return;
    out.push({
      path,
      code: 'check.interface-unknown',
      message: `${nodeName} has no interface "${name}" in the lab (interfaces: ${list(known)})`,
    });
  };
  const ipv4 = (path: string, ip: string): void => {
    if (parseIPv4(ip) === undefined)
      out.push({ path, code: 'check.address-invalid', message: `${ip} is not an IPv4 address` });
  };
  // Ping targets and route gateways may be IPv6 (text with a colon).
  const ip = (path: string, addr: string): void => {
    if (!addr.includes(':')) return ipv4(path, addr);
    if (parseIPv6(addr) === undefined)
      out.push({ path, code: 'check.address-invalid', message: `${addr} is not an IPv6 address` });
  };
  const ref = (path: string, r: InterfaceRef): void => {
    if (node(`${path}.node`, r.node)) iface(`${path}.interface`, r.node, r.interface);
  };
  const bridge = (path: string, name: string): boolean => {
    if (!node(path, name)) return false;
    if (ix.isBridge(name)) return true;
    out.push({
      path,
      code: 'check.not-bridge',
      message: `${name} is not a bridge (bridges: ${list(ix.ports.keys())})`,
    });
    return false;
  };
  const from = (path: string, name: string): void => {
    if (node(path, name) && ix.isBridge(name)) {
      out.push({
        path,
        code: 'check.from-bridge',
        message: `${name} is a bridge, which has no address of its own to send from; name a host, netns or router`,
      });
    }
  };

  const checks = Array.isArray(value.checks) ? value.checks : [];
  const ids = new Map<string, number>();
  checks.forEach((raw, i) => {
    if (!isObject(raw) || typeof raw.type !== 'string') return;
    const schema = (CHECK_SCHEMAS as Record<string, TSchema>)[raw.type];
    if (typeof raw.id === 'string') {
      const first = ids.get(raw.id);
      if (first !== undefined)
        out.push({
          path: `checks[${i}].id`,
          code: 'check.id-duplicate',
          message: `check id "${raw.id}" is already used by checks[${first}]`,
        });
      else ids.set(raw.id, i);
    }
    if (!schema || !Value.Check(schema, raw)) return; // structure problems already reported
    const c = raw as unknown as Check;
    const p = `checks[${i}]`;
    switch (c.type) {
      case 'ping':
        from(`${p}.from`, c.from);
        ip(`${p}.to`, c.to);
        break;
      case 'tcp':
        from(`${p}.from`, c.from);
        ipv4(`${p}.to`, c.to);
        if (c.listen) from(`${p}.listen.node`, c.listen.node);
        break;
      case 'interface':
        if (node(`${p}.node`, c.node)) iface(`${p}.interface`, c.node, c.interface);
        if (c.master !== undefined) bridge(`${p}.master`, c.master);
        (c.addresses ?? []).forEach((a, j) => {
          if (!parseCidr(a))
            out.push({
              path: `${p}.addresses[${j}]`,
              code: 'check.address-invalid',
              message: `${a} is not an IPv4 address in CIDR form (a.b.c.d/len)`,
            });
        });
        break;
      case 'route':
        if (node(`${p}.node`, c.node) && c.dev !== undefined) iface(`${p}.dev`, c.node, c.dev);
        if (c.to !== 'default' && !(c.to.includes(':') ? parseCidr6(c.to) : parseCidr(c.to)))
          out.push({
            path: `${p}.to`,
            code: 'check.address-invalid',
            message: `${c.to} is not "default" or a network in CIDR form (IPv4, or IPv6 with ::/0 its default)`,
          });
        if (c.via !== undefined) ip(`${p}.via`, c.via);
        break;
      case 'fdb':
        if (bridge(`${p}.bridge`, c.bridge) && c.port !== undefined) {
          const ports = ix.ports.get(c.bridge) ?? new Set<string>();
          if (!ports.has(c.port))
            out.push({
              path: `${p}.port`,
              code: 'check.interface-unknown',
              message: `"${c.port}" is not a port of ${c.bridge} (ports: ${list(ports)})`,
            });
        }
        ref(`${p}.mac`, c.mac);
        break;
      case 'neighbor':
        node(`${p}.node`, c.node);
        ipv4(`${p}.ip`, c.ip);
        ref(`${p}.mac`, c.mac);
        break;
      case 'sysctl':
        node(`${p}.node`, c.node);
        break;
      case 'command':
        node(`${p}.node`, c.node);
        if (c.match !== undefined) {
          try {
            new RegExp(c.match);
          } catch (err) {
            out.push({
              path: `${p}.match`,
              code: 'check.match-invalid',
              message: `not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`,
            });
          }
        }
        break;
    }
  });

  for (const key of ['setup', 'solution'] as const) {
    const steps = Array.isArray(value[key]) ? (value[key] as unknown[]) : [];
    steps.forEach((s, i) => {
      if (Value.Check(SolutionStepSchema, s)) node(`${key}[${i}].node`, s.node, 'solution.node-unknown');
    });
  }
  return out;
}

/** `path: message`, or the message alone for whole-file problems (as for lab files). */
export const formatScenarioProblem: (p: Problem) => string = formatProblem;
