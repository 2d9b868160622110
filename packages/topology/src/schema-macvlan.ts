// JSON Schema (TypeBox) of macvlans and bridge port settings; schema.ts places them in the lab.
import { Type } from '@sinclair/typebox';
import { IFNAME_RE } from './naming.js';

// schema.ts's CIDR_PATTERN (not imported: schema.ts imports this file); parse-structure matches it by value.
const CIDR_PATTERN = '^([0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/[0-9]{1,3})$';

export const BridgePortSchema = Type.Object(
  {
    hairpin: Type.Optional(
      Type.Boolean({
        description:
          'Hairpin mode: frames may leave by the port they came in by (a container reaching its own published port). Default false.',
      }),
    ),
    learning: Type.Optional(Type.Boolean({ description: 'Learn source MACs from this port. Default true.' })),
    flood: Type.Optional(Type.Boolean({ description: 'Flood unknown-unicast frames to this port. Default true.' })),
    isolated: Type.Optional(
      Type.Boolean({
        description: 'Isolated ports cannot talk to each other, only to non-isolated ones. Default false.',
      }),
    ),
    antiSpoof: Type.Optional(
      Type.Boolean({
        description:
          "ebtables anti-spoofing: frames entering by this port must carry the far end's mac and one of its addresses (the far end must set both). Default false.",
      }),
    ),
  },
  { additionalProperties: false, description: 'Settings of a bridge port; only on a link end whose node is a bridge.' },
);

export const MacvlanModeSchema = Type.Union(
  [Type.Literal('bridge'), Type.Literal('private'), Type.Literal('vepa'), Type.Literal('passthru')],
  {
    description:
      'bridge (default): macvlans of one parent talk directly; private: they never do; vepa: only through the outside switch; passthru: one macvlan takes the parent over.',
  },
);

export const MacvlanSchema = Type.Object(
  {
    node: Type.String({ description: 'Node the macvlan interface lives in (host, netns or router).' }),
    interface: Type.String({
      pattern: IFNAME_RE.source,
      description: 'Name of the macvlan interface in that node, 1 to 15 characters.',
    }),
    parent: Type.Object(
      {
        node: Type.String({ description: 'A host node.' }),
        interface: Type.String({
          pattern: IFNAME_RE.source,
          description: 'An interface of that host made by a link (a link end on the host).',
        }),
      },
      { additionalProperties: false, description: 'The interface the macvlan is stacked on (its lower device).' },
    ),
    mode: Type.Optional(MacvlanModeSchema),
    addresses: Type.Optional(
      Type.Array(Type.String({ pattern: CIDR_PATTERN, description: 'IPv4 address with prefix length.' }), {
        description: 'IPv4 addresses of the macvlan interface, CIDR form.',
      }),
    ),
    mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 65535, description: "MTU; at most the parent's." })),
    up: Type.Optional(Type.Boolean({ description: 'Whether the interface is up; default true.' })),
    mac: Type.Optional(Type.String({ description: 'Unicast MAC address; default: one the kernel picks.' })),
  },
  { additionalProperties: false, description: "A macvlan interface on a host's interface." },
);
