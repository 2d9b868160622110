// JSON Schema (TypeBox) of a node's `dns:` and `dnsServer:`; schema.ts places them in the node.
import { Type } from '@sinclair/typebox';

// schema.ts's IPV4_PATTERN (not imported: schema.ts imports this file); parse-structure matches it by value.
const IPV4_PATTERN = '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$';

export const DnsResolverSchema = Type.Object(
  {
    nameservers: Type.Optional(
      Type.Array(Type.String({ pattern: IPV4_PATTERN }), {
        description: 'IPv4 addresses of name servers, tried in order; at most 3 (glibc uses no more).',
      }),
    ),
    search: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'Search domains, tried in order for a name with fewer dots than ndots (e.g. default.svc.cluster.local); at most 6.',
      }),
    ),
    ndots: Type.Optional(
      Type.Integer({
        description:
          'A name with at least this many dots is tried as it is first; fewer: the search domains first. 0 to 15; glibc default 1, Kubernetes pods 5.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Resolver settings: the node’s private /etc/resolv.conf.' },
);

export const DnsSchema = Type.Union(
  [
    Type.Literal('docker', {
      description:
        'Docker’s embedded DNS: the resolver is 127.0.0.11, where a dnsmasq inside the node answers the lab’s names.',
    }),
    DnsResolverSchema,
  ],
  {
    description:
      'How processes in this node resolve names (shells, run: processes, exercise checks): resolver settings, or docker.',
  },
);

export const DnsServerSchema = Type.Union(
  [
    Type.Boolean(),
    Type.Object(
      {
        domain: Type.Optional(
          Type.String({
            description: 'Also answer NAME.DOMAIN for every name (e.g. lab.internal, svc.cluster.local).',
          }),
        ),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      'Run a DNS server (dnsmasq) in this node answering every node name of the lab with its addresses, no upstream; each query is logged to its output.',
  },
);
