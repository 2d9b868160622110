// The lab of each student of `pnpm bench:class` (shared by class.ts and class-client.ts).

/** Netns nodes of every lab (all on the bridge `br0`); the shell and the ping run in h1. */
export const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5'] as const;
export const net = (index: number) => `10.100.${index}`;

/** A student's lab: a bridge with an address (the gateway) and five namespaces on it, in the lab's own /24. */
export function labDocument(s: { lab: string; index: number }): Record<string, unknown> {
  const n = net(s.index);
  const nodes: Record<string, unknown> = { br0: { kind: 'bridge', addresses: [`${n}.1/24`] } };
  for (const h of HOSTS) nodes[h] = { kind: 'netns', routes: [{ to: 'default', via: `${n}.1` }] };
  return {
    name: s.lab,
    nodes,
    links: HOSTS.map((h, k) => ({
      a: { node: h, interface: `veth-${h}`, addresses: [`${n}.${11 + k}/24`] },
      b: { node: 'br0', interface: `veth-${h}-br` },
    })),
  };
}

