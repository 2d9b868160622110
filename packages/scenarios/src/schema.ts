// The structural schema of a scenario file (SCENARIO-FORMAT.md, version 1), written once with
// TypeBox: the runtime structural check of `parseScenarioText` and, as plain JSON Schema, the
// published `scenario.schema.json`. The embedded lab is topology's LabSchema; the parser checks it
// with topology's own `parseLabText`, so its problems carry topology's codes under `lab.`.

import { Type, type Static } from '@sinclair/typebox';
import { CIDR_PATTERN, IP_PATTERN, IPV4_PATTERN, IFNAME_RE, LabSchema, NAME_RE } from '@patchbay/topology';
import type { ScenarioDocument } from './model.js';

export const SCENARIO_SCHEMA_ID = 'https://patchbay.dev/schema/scenario-v1.json';
export const SCENARIO_ID_RE = /^[a-z][a-z0-9-]{0,47}$/;
/** Check ids follow the scenario id rule: they appear in URLs and in `patchbay scenario check`. */
export const CHECK_ID_RE = SCENARIO_ID_RE;
export const LAB_PATH_PATTERN = '^\\.{1,2}/.+';
export const ROUTE_TO_PATTERN = `^(default|${CIDR_PATTERN.slice(1, -1)})$`;
export const SYSCTL_KEY_PATTERN = '^[A-Za-z0-9_-]+([./][A-Za-z0-9_-]+)*$';

const Node = (description: string) => Type.String({ pattern: NAME_RE.source, description });
const IfName = (description: string) => Type.String({ pattern: IFNAME_RE.source, description });
const Ipv4 = (description: string) => Type.String({ pattern: IPV4_PATTERN, description });

const base = {
  id: Type.String({
    pattern: CHECK_ID_RE.source,
    description: 'Check id, [a-z][a-z0-9-]{0,47}, unique in the scenario.',
  }),
  title: Type.String({ minLength: 1, description: 'What the check proves, as the student reads it.' }),
};

export const InterfaceRefSchema = Type.Object(
  {
    node: Node('Lab node owning the interface.'),
    interface: IfName('Interface name in that node (a link end, or a port of a bridge).'),
  },
  {
    additionalProperties: false,
    description: 'An interface of the lab; its MAC address is read from the live kernel.',
  },
);

export const PingCheckSchema = Type.Object(
  {
    ...base,
    type: Type.Literal('ping'),
    from: Node('Node that sends the pings (not a bridge).'),
    to: Type.String({ pattern: IP_PATTERN, description: 'IPv4 or IPv6 address to ping.' }),
    count: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10, description: 'Echo requests to send, 1 to 10; default 2.' }),
    ),
    size: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65507, description: 'Payload size in bytes (ping -s), for MTU exercises.' }),
    ),
    dontFragment: Type.Optional(
      Type.Boolean({ description: 'Set the do-not-fragment bit (ping -M do), for MTU exercises.' }),
    ),
    expect: Type.Optional(
      Type.Union([Type.Literal('pass'), Type.Literal('fail')], {
        description: 'fail inverts the check (an isolation goal); default pass.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Passes when `from` gets replies from `to`.' },
);

export const TcpCheckSchema = Type.Object(
  {
    ...base,
    type: Type.Literal('tcp'),
    from: Node('Node that connects (not a bridge).'),
    to: Ipv4('IPv4 address to connect to.'),
    port: Type.Integer({ minimum: 1, maximum: 65535, description: 'TCP port; the checker provides the listener.' }),
    listen: Type.Optional(
      Type.Object(
        {
          node: Node('Node the listener runs in (not a bridge).'),
          port: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 65535, description: 'Port it listens on; default `port`.' }),
          ),
        },
        {
          additionalProperties: false,
          description:
            'Where the checker listens (a Patchbay extension); default: the node whose interfaces carry `to`. For forwarded ports (DNAT).',
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'Passes when a TCP connection from `from` to `to:port` succeeds.' },
);

export const InterfaceCheckSchema = Type.Object(
  {
    ...base,
    type: Type.Literal('interface'),
    node: Node('Node the interface is in.'),
    interface: IfName('Interface name.'),
    up: Type.Optional(Type.Boolean({ description: 'Expected administrative state.' })),
    mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 65535, description: 'Expected MTU.' })),
    addresses: Type.Optional(
      Type.Array(Type.String({ pattern: CIDR_PATTERN }), { description: 'Expected IPv4 addresses (CIDR), as a set.' }),
    ),
    master: Type.Optional(Node('Bridge node the interface is expected to be a port of.')),
  },
  { additionalProperties: false, description: 'Passes when the interface exists and matches every field given.' },
);

export const RouteCheckSchema = Type.Object(
  {
    ...base,
    type: Type.Literal('route'),
    node: Node('Node whose routing table is read.'),
    to: Type.String({ pattern: ROUTE_TO_PATTERN, description: 'Destination in CIDR form, or "default".' }),
    via: Type.Optional(Type.String({ pattern: IP_PATTERN, description: 'Expected gateway (IPv4 or IPv6).' })),
    dev: Type.Optional(IfName('Expected outgoing interface.')),
  },
  {
    additionalProperties: false,
    description: 'Passes when a route to `to` exists (through `via`, out of `dev`, if given).',
  },
);

export const FdbCheckSchema = Type.Object(
  {
    ...base,
    type: Type.Literal('fdb'),
    bridge: Node('Bridge node whose forwarding database is read.'),
    mac: InterfaceRefSchema,
    port: Type.Optional(IfName('Bridge port the MAC is expected to be learned on.')),
  },
  { additionalProperties: false, description: 'Passes when the bridge has learned the MAC of `mac`.' },
);

export const NeighborCheckSchema = Type.Object(
  {
    ...base,
    type: Type.Literal('neighbor'),
    node: Node('Node whose neighbour (ARP) table is read.'),
    ip: Ipv4('Neighbour IPv4 address.'),
    mac: InterfaceRefSchema,
  },
  { additionalProperties: false, description: 'Passes when the neighbour table maps `ip` to the MAC of `mac`.' },
);

export const SysctlCheckSchema = Type.Object(
  {
    ...base,
    type: Type.Literal('sysctl'),
    node: Node('Node (namespace) the sysctl is read in.'),
    key: Type.String({ pattern: SYSCTL_KEY_PATTERN, description: 'sysctl key, e.g. net.ipv4.ip_forward.' }),
    value: Type.Union([Type.String(), Type.Number()], {
      description: 'Expected value (compared as text, whitespace collapsed).',
    }),
  },
  { additionalProperties: false, description: 'Passes when `key` equals `value`.' },
);

export const CommandCheckSchema = Type.Object(
  {
    ...base,
    type: Type.Literal('command'),
    node: Node('Node the command runs in (a bridge: its host).'),
    run: Type.String({ minLength: 1, description: 'Shell command.' }),
    match: Type.Optional(
      Type.String({ description: 'Regular expression (JavaScript syntax) standard output must match.' }),
    ),
  },
  { additionalProperties: false, description: 'Passes when `run` exits 0 and its output matches `match`, if given.' },
);

/** Check schemas by `type`: the structural check resolves the union by the value's own `type`. */
export const CHECK_SCHEMAS = {
  ping: PingCheckSchema,
  tcp: TcpCheckSchema,
  interface: InterfaceCheckSchema,
  route: RouteCheckSchema,
  fdb: FdbCheckSchema,
  neighbor: NeighborCheckSchema,
  sysctl: SysctlCheckSchema,
  command: CommandCheckSchema,
} as const;
export const CHECK_TYPES = Object.keys(CHECK_SCHEMAS) as (keyof typeof CHECK_SCHEMAS)[];

export const CheckSchema = Type.Union(Object.values(CHECK_SCHEMAS), {
  description: 'A live check; `type` decides which fields it takes.',
});

export const SolutionStepSchema = Type.Object(
  {
    node: Node("Node to run in; a bridge's commands run in its host's namespace."),
    run: Type.String({ minLength: 1, description: 'Shell command, as a student would type it.' }),
  },
  { additionalProperties: false, description: 'One step of the reference solution.' },
);

export const LabRefSchema = Type.Union(
  [
    LabSchema,
    Type.String({
      pattern: LAB_PATH_PATTERN,
      description: 'Path of a lab file relative to the scenario file, e.g. ./lab.yaml.',
    }),
  ],
  { description: 'The starting lab: a whole lab document, or a relative path to one.' },
);

export const ScenarioSchema = Type.Object(
  {
    id: Type.String({ pattern: SCENARIO_ID_RE.source, description: 'Scenario id, [a-z][a-z0-9-]{0,47}.' }),
    title: Type.String({ minLength: 1, description: 'Title shown in the scenario list.' }),
    level: Type.Union([Type.Literal('beginner'), Type.Literal('intermediate'), Type.Literal('advanced')], {
      description: 'beginner, intermediate or advanced.',
    }),
    summary: Type.String({ description: 'One sentence: what is wrong or what is to be built.' }),
    instructions: Type.String({ description: 'Markdown shown beside the topology.' }),
    tags: Type.Optional(
      Type.Array(Type.String(), { description: 'Concepts practised (a Patchbay extension), e.g. veth, bridge, mtu.' }),
    ),
    lab: LabRefSchema,
    checks: Type.Array(CheckSchema, { minItems: 1, description: 'Live checks run against the student’s own lab.' }),
    hints: Type.Optional(Type.Array(Type.String(), { description: 'Hints, revealed one at a time.' })),
    why: Type.Optional(
      Type.Boolean({
        description:
          'Whether students may ask Why? (the path explained hop by hop) about their lab (a Patchbay extension); true when absent. Instructors always may.',
      }),
    ),
    setup: Type.Optional(
      Type.Array(SolutionStepSchema, {
        description:
          'Commands run after the lab is realized, at start and at every reset (a Patchbay extension): breakage a lab file cannot express.',
      }),
    ),
    solution: Type.Array(SolutionStepSchema, {
      description: 'Reference solution: commands run in order, node by node.',
    }),
  },
  { additionalProperties: false, title: 'Patchbay scenario', description: 'A Patchbay exercise scenario, version 1.' },
);

export type ScenarioStatic = Static<typeof ScenarioSchema>;

// Compile-time guard: the schema and model.ts must describe the same shape, in both directions.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesModel: Same<ScenarioStatic, ScenarioDocument> = true;
void schemaMatchesModel;

/** The plain JSON Schema (draft-07) of a scenario file, as published in scenario.schema.json. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(ScenarioSchema)) as Record<string, unknown>;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCENARIO_SCHEMA_ID,
    ...plain,
    title: 'Patchbay scenario',
  };
}
