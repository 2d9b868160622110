// The labs `pnpm bench:web` draws: a column per bridge, each bridge with the same number of
// namespaces whose eth0 has an address in the bridge's /24, laid out 200 px between columns and
// 100 px between rows (no node touches another). Bridge ports are named after both ends: unique in
// the lab, 6 characters.
import { parseLabText } from '@patchbay/topology';

export interface GridLabShape {
  name: string;
  bridges: number;
  /** Namespaces per bridge. */
  per: number;
  /** Name prefixes: the bridges (`br` → `br00`), the namespaces (`n` → `n00-01`), the bridge ports. */
  bridgePrefix: string;
  nsPrefix: string;
  portPrefix: string;
  /** The first two octets of every address: `10.30` → 10.30.B.K/24. */
  net: string;
}

export type Positions = Record<string, { x: number; y: number }>;

const two = (i: number) => String(i).padStart(2, '0');

/** The name of bridge `b`'s namespace `k`: `gridNamespace('n', 3, 5)` is `n03-05`. */
export const gridNamespace = (nsPrefix: string, b: number, k: number) => `${nsPrefix}${two(b)}-${two(k)}`;

/** The lab document and its layout; throws when the lab is not valid or not the size asked for. */
export function gridLab(shape: GridLabShape): { document: Record<string, unknown>; positions: Positions } {
  const { bridges, per } = shape;
  const bridgeName = (b: number) => `${shape.bridgePrefix}${two(b)}`;
  const nsName = (b: number, k: number) => gridNamespace(shape.nsPrefix, b, k);
  const nodes: Record<string, unknown> = {};
  const links: unknown[] = [];
  const positions: Positions = {};
  for (let b = 0; b < bridges; b++) {
    nodes[bridgeName(b)] = { kind: 'bridge' };
    positions[bridgeName(b)] = { x: b * 200, y: 0 };
    for (let k = 0; k < per; k++) {
      nodes[nsName(b, k)] = { kind: 'netns' };
      positions[nsName(b, k)] = { x: b * 200, y: (k + 1) * 100 };
      links.push({
        a: { node: nsName(b, k), interface: 'eth0', addresses: [`${shape.net}.${b}.${k + 1}/24`] },
        b: { node: bridgeName(b), interface: `${shape.portPrefix}${two(b)}-${two(k)}` },
      });
    }
  }
  const document = { name: shape.name, nodes, links };
  const parsed = parseLabText(JSON.stringify(document));
  if (!parsed.lab || parsed.problems.length) {
    throw new Error(
      `the benchmark's lab ${shape.name} has problems:\n${parsed.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
    );
  }
  const n = Object.keys(parsed.lab.nodes).length;
  if (n !== bridges * (per + 1) || parsed.lab.links.length !== bridges * per)
    throw new Error(
      `expected ${bridges * (per + 1)} nodes and ${bridges * per} links, got ${n} and ${parsed.lab.links.length}`,
    );
  return { document, positions };
}
