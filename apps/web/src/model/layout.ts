// Auto-layout for labs that arrive without positions (imports, examples): a layered layout
// (dagre) in which links pull nodes together and bridges sit between the nodes they connect.
import dagre from '@dagrejs/dagre';
import type { Lab } from '@patchbay/topology';

export const NODE_WIDTH = 170;
export const NODE_HEIGHT = 76;

export function autoLayout(lab: Lab): Record<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 110, marginx: 40, marginy: 40 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const name of Object.keys(lab.nodes)) g.setNode(name, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const l of lab.links) if (g.hasNode(l.a.node) && g.hasNode(l.b.node)) g.setEdge(l.a.node, l.b.node);
  for (const [name, spec] of Object.entries(lab.nodes)) if (spec.kind === 'bridge' && spec.host && g.hasNode(spec.host)) g.setEdge(spec.host, name);
  dagre.layout(g);
  const out: Record<string, { x: number; y: number }> = {};
  for (const name of Object.keys(lab.nodes)) {
    const n = g.node(name) as { x: number; y: number } | undefined;
    if (n) out[name] = { x: Math.round(n.x - NODE_WIDTH / 2), y: Math.round(n.y - NODE_HEIGHT / 2) };
  }
  return out;
}
