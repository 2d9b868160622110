// JSON Schema (TypeBox) of firewall rules, node labels and NetworkPolicies; schema.ts places them in
// the lab. Exact checks (addresses, interfaces of the node, which action fits which chain) are
// validate-firewall.ts's, with problem codes.
import { Type } from '@sinclair/typebox';
import { IFNAME_RE } from './naming.js';
import { CONNTRACK_STATES, FIREWALL_ACTIONS, FIREWALL_TABLES, REJECT_WITH } from './model-firewall.js';

const lits = <T extends string>(values: readonly T[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );
const IfName = (description: string) => Type.String({ pattern: IFNAME_RE.source, description });
const Port = (description: string) =>
  Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String({ pattern: '^[0-9]{1,5}-[0-9]{1,5}$' })], {
    description,
  });

export const FirewallRuleSchema = Type.Object(
  {
    table: Type.Optional(lits(FIREWALL_TABLES, 'filter (default), nat or mangle.')),
    chain: Type.String({
      description:
        'A built-in chain of the table: filter INPUT/FORWARD/OUTPUT; nat PREROUTING/INPUT/OUTPUT/POSTROUTING; mangle all five.',
    }),
    family: Type.Optional(
      lits(
        ['ipv4', 'ipv6', 'both'] as const,
        'ipv4: iptables, ipv6: ip6tables, both: written in each (naming no address). Default: ipv6 when an address of the rule is IPv6, else ipv4.',
      ),
    ),
    source: Type.Optional(Type.String({ description: 'Source IPv4 or IPv6 address or CIDR.' })),
    destination: Type.Optional(Type.String({ description: 'Destination IPv4 or IPv6 address or CIDR.' })),
    protocol: Type.Optional(lits(['tcp', 'udp', 'icmp'] as const, 'tcp, udp or icmp; default any.')),
    sport: Type.Optional(Port('Source port or range "1000-2000" (tcp or udp).')),
    dport: Type.Optional(Port('Destination port or range "1000-2000" (tcp or udp).')),
    in: Type.Optional(IfName('Interface of this node the packet came in by (-i).')),
    out: Type.Optional(IfName('Interface of this node the packet leaves by (-o).')),
    physdevIn: Type.Optional(IfName('Bridge port of this node the frame came in by (-m physdev, bridged traffic).')),
    physdevOut: Type.Optional(IfName('Bridge port of this node the frame leaves by (bridged traffic only).')),
    state: Type.Optional(
      Type.Array(lits(CONNTRACK_STATES, 'A conntrack state.'), {
        description: 'conntrack states (-m conntrack --ctstate).',
      }),
    ),
    action: lits(FIREWALL_ACTIONS, 'What a matching packet meets (-j).'),
    toDestination: Type.Optional(Type.String({ description: 'DNAT: IPv4, IPv4:PORT, IPv6 or [IPv6]:PORT.' })),
    toSource: Type.Optional(Type.String({ description: 'SNAT: an IPv4 or IPv6 address.' })),
    toPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'REDIRECT: the local port.' })),
    rejectWith: Type.Optional(lits(REJECT_WITH, 'REJECT: what the sender is told; default icmp-port-unreachable.')),
    logPrefix: Type.Optional(Type.String({ maxLength: 29, description: 'LOG: prefix of the kernel log line.' })),
    comment: Type.Optional(Type.String({ maxLength: 64, description: 'A note kept with the rule (-m comment).' })),
  },
  { additionalProperties: false, description: 'One iptables rule, appended to its chain in list order.' },
);

export const LabelsSchema = Type.Record(Type.String(), Type.String(), {
  description: 'Labels a NetworkPolicy podSelector may pick this node by, e.g. { app: web }.',
});

const PodSelectorSchema = Type.Object(
  {
    nodes: Type.Optional(Type.Array(Type.String(), { description: 'Pods (netns nodes) by name.' })),
    matchLabels: Type.Optional(LabelsSchema),
  },
  { additionalProperties: false, description: 'Pods picked by name and/or labels; {} picks every pod.' },
);

const PeerSchema = Type.Object(
  {
    podSelector: Type.Optional(PodSelectorSchema),
    ipBlock: Type.Optional(
      Type.Object({ cidr: Type.String({ description: 'IPv4 CIDR.' }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false, description: 'A peer: pods (podSelector) or addresses (ipBlock), one of the two.' },
);

const PolicyPortSchema = Type.Object(
  {
    protocol: Type.Optional(lits(['TCP', 'UDP'] as const, 'TCP (default) or UDP.')),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    endPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  },
  { additionalProperties: false },
);

export const NetworkPolicySchema = Type.Object(
  {
    name: Type.String({ description: 'Policy name: [a-z0-9-], 1 to 20 characters.' }),
    podSelector: PodSelectorSchema,
    policyTypes: Type.Optional(Type.Array(lits(['Ingress', 'Egress'] as const, 'A direction the policy isolates.'))),
    ingress: Type.Optional(
      Type.Array(
        Type.Object(
          { from: Type.Optional(Type.Array(PeerSchema)), ports: Type.Optional(Type.Array(PolicyPortSchema)) },
          { additionalProperties: false },
        ),
        { description: 'Allowed incoming traffic; absent or [] with Ingress: deny all.' },
      ),
    ),
    egress: Type.Optional(
      Type.Array(
        Type.Object(
          { to: Type.Optional(Type.Array(PeerSchema)), ports: Type.Optional(Type.Array(PolicyPortSchema)) },
          { additionalProperties: false },
        ),
        { description: 'Allowed outgoing traffic; [] with Egress: deny all.' },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'A Kubernetes NetworkPolicy over the lab’s pods, compiled to Calico-style per-pod iptables chains.',
  },
);
