// "Why can't A reach B?": the question and the answer of `patchbay why`, `POST /api/labs/:name/why`
// and the browser's Why? view. The engine walks the path from the live kernel's own answers (route
// lookups, link states, neighbours, bridge FDBs, netfilter) and may confirm it with one real probe;
// these schemas are the one definition the engine, the server, the CLI and the web app share.
import { Type, type Static } from '@sinclair/typebox';
import { NAME_RE } from './naming.js';

/** Stable reason codes: where and why traffic dies. Documented in docs/why.md; never renamed. */
export const WHY_REASONS = [
  'link-down',
  'no-route',
  'no-neighbour',
  'forwarding-off',
  'filtered',
  'mtu',
  'no-listener',
  'rp-filter',
  'bridge-port-down',
  'no-fdb-remote',
  'nat',
  'unknown',
] as const;
export type WhyReason = (typeof WHY_REASONS)[number];

export const WHY_PROTOCOLS = ['icmp', 'tcp', 'udp'] as const;
export type WhyProtocol = (typeof WHY_PROTOCOLS)[number];

/** The default packet size: ping's default (56 bytes of data + 8 of ICMP + 20 of IPv4 header). */
export const WHY_DEFAULT_SIZE = 84;
export const WHY_MIN_SIZE = 28;
export const WHY_MAX_SIZE = 65535;

export const WhyQuerySchema = Type.Object(
  {
    from: Type.String({ pattern: NAME_RE.source, description: 'The lab node the packet starts at.' }),
    to: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'A lab node (its first address is used) or an IPv4 address.',
    }),
    proto: Type.Optional(
      Type.Union(
        WHY_PROTOCOLS.map((p) => Type.Literal(p)),
        { description: 'icmp (echo request) by default.' },
      ),
    ),
    port: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65535, description: 'The destination port; required for tcp and udp.' }),
    ),
    size: Type.Optional(
      Type.Integer({
        minimum: WHY_MIN_SIZE,
        maximum: WHY_MAX_SIZE,
        description: `The IPv4 packet's total length in bytes (header included); ${WHY_DEFAULT_SIZE} by default, as \`ping\`'s.`,
      }),
    ),
    df: Type.Optional(Type.Boolean({ description: "Don't fragment: a packet larger than an MTU on the path dies." })),
    probe: Type.Optional(
      Type.Boolean({ description: 'Confirm the walk with one real, traced packet (default true).' }),
    ),
  },
  { additionalProperties: false, title: 'WhyQuery' },
);
export type WhyQuery = Static<typeof WhyQuerySchema>;

export const WHY_ACTIONS = [
  'send',
  'route',
  'switch',
  'encapsulate',
  'decapsulate',
  'translate',
  'deliver',
  'drop',
] as const;
export type WhyAction = (typeof WHY_ACTIONS)[number];

export const WhyHopSchema = Type.Object(
  {
    node: Type.String({ description: 'The lab node (a bridge: the bridge node itself).' }),
    in: Type.Optional(Type.String({ description: 'The interface the packet came in on.' })),
    out: Type.Optional(Type.String({ description: 'The interface the packet leaves by.' })),
    action: Type.Union(
      WHY_ACTIONS.map((a) => Type.Literal(a)),
      { description: 'What this node does with the packet.' },
    ),
    detail: Type.String({ description: 'What the kernel answered, in words.' }),
    src: Type.Optional(Type.String({ description: "The packet's source address as it leaves this hop." })),
    dst: Type.Optional(Type.String({ description: "The packet's destination address as it leaves this hop." })),
    commands: Type.Optional(
      Type.Array(Type.String(), { description: 'The commands whose answers this hop is made of, to run yourself.' }),
    ),
  },
  { title: 'WhyHop' },
);
export type WhyHop = Static<typeof WhyHopSchema>;

export const WhyBlockedSchema = Type.Object(
  {
    direction: Type.Union([Type.Literal('forward'), Type.Literal('reverse')]),
    node: Type.String({ description: 'The lab node where the packet dies (for a bridge port: the bridge).' }),
    interface: Type.Optional(Type.String()),
    reason: Type.Union(WHY_REASONS.map((r) => Type.Literal(r))),
    detail: Type.String(),
    fix: Type.Optional(Type.String({ description: 'A hint of the fix.' })),
    rule: Type.Optional(
      Type.Object(
        { table: Type.String(), chain: Type.String(), rule: Type.Optional(Type.String()) },
        { description: 'For `filtered`: the netfilter rule or policy that dropped it.' },
      ),
    ),
  },
  { title: 'WhyBlocked' },
);
export type WhyBlocked = Static<typeof WhyBlockedSchema>;

export const WhyProbeSchema = Type.Object(
  {
    reachable: Type.Boolean({ description: 'Whether the probe got its answer.' }),
    agrees: Type.Boolean({ description: 'Whether the probe and the walk agree.' }),
    detail: Type.String(),
    lastSeen: Type.Optional(
      Type.Object({ node: Type.String(), interface: Type.String() }, { description: 'Where it was captured last.' }),
    ),
    trace: Type.Optional(Type.Array(Type.String(), { description: "Netfilter's trace lines (nft monitor trace)." })),
    dropReason: Type.Optional(
      Type.String({ description: "The kernel's drop reason (skb:kfree_skb), where it gave one." }),
    ),
  },
  { title: 'WhyProbe' },
);
export type WhyProbe = Static<typeof WhyProbeSchema>;

export const WhyEndpointPathSchema = Type.Object(
  {
    endpoint: Type.String({ description: 'Where the pick sends the packet: ADDRESS or ADDRESS:PORT.' }),
    node: Type.Optional(Type.String({ description: 'The lab node that holds that address.' })),
    probability: Type.Number({ description: 'The chance a new connection is sent there (0–1).' }),
    reachable: Type.Boolean(),
    forward: Type.Array(WhyHopSchema),
    reverse: Type.Array(WhyHopSchema),
    blocked: Type.Optional(WhyBlockedSchema),
  },
  { title: 'WhyEndpointPath' },
);
export type WhyEndpointPath = Static<typeof WhyEndpointPathSchema>;

export const WhyResultSchema = Type.Object(
  {
    lab: Type.String(),
    query: Type.Object({
      from: Type.String(),
      to: Type.String(),
      src: Type.String({ description: 'The source address the kernel chose.' }),
      dst: Type.String({ description: 'The destination address.' }),
      proto: Type.Union(WHY_PROTOCOLS.map((p) => Type.Literal(p))),
      port: Type.Optional(Type.Integer()),
      size: Type.Integer(),
      df: Type.Boolean(),
    }),
    reachable: Type.Boolean(),
    forward: Type.Array(WhyHopSchema),
    reverse: Type.Array(WhyHopSchema),
    blocked: Type.Optional(WhyBlockedSchema),
    probe: Type.Optional(WhyProbeSchema),
    endpoints: Type.Optional(
      Type.Array(WhyEndpointPathSchema, {
        description:
          "When a random pick splits the path (a Service: kube-proxy's endpoints), one walk per endpoint, in the chains' order; forward/reverse/blocked above are the first one's.",
      }),
    ),
  },
  { title: 'WhyResult' },
);
export type WhyResult = Static<typeof WhyResultSchema>;
