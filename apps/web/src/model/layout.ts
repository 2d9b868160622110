// Auto-layout for labs that arrive without positions (imports, examples): a layered layout
// (dagre) in which links pull nodes together and bridges sit between the nodes they connect.
import dagre from '@dagrejs/dagre';
import type { Lab, LinkEndSpec } from '@patchbay/topology';
import { labelSize } from './edge-geometry';

export const NODE_WIDTH = 170;
export const NODE_HEIGHT = 76;

type XY = { x: number; y: number };

/** Whether a node at `p` would overlap one of `positions` (with a margin). */
function overlaps(p: XY, positions: Iterable<XY>, margin = 24): boolean {
  for (const q of positions)
    if (Math.abs(p.x - q.x) < NODE_WIDTH + margin && Math.abs(p.y - q.y) < NODE_HEIGHT + margin) return true;
  return false;
}

/** The free spot nearest to `center` (top-left corner of a node), searching outwards on a grid. */
export function freeSpot(positions: Record<string, XY>, center: XY): XY {
  const taken = Object.values(positions);
  const stepX = NODE_WIDTH + 40;
  const stepY = NODE_HEIGHT + 40;
  for (let ring = 0; ring < 50; ring++) {
    for (let dy = -ring; dy <= ring; dy++) {
      for (let dx = -ring; dx <= ring; dx++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue;
        const p = { x: Math.round(center.x + dx * stepX), y: Math.round(center.y + dy * stepY) };
        if (!overlaps(p, taken)) return p;
      }
    }
  }
  return center;
}

/** The text of a link end's label on the canvas: its interface and first address. */
export const endLabelText = (e: LinkEndSpec): string => `${e.interface}${e.addresses?.[0] ? ` ${e.addresses[0]}` : ''}`;

/**
 * Room between two ranks: enough for a link's two end labels side by side on it (so they need not
 * move off the link), within bounds that keep the drawing compact.
 */
export function rankGap(lab: Lab): number {
  let widest = 0;
  for (const l of lab.links) widest = Math.max(widest, labelSize(endLabelText(l.a)).w + labelSize(endLabelText(l.b)).w);
  return Math.min(340, Math.max(110, widest + 24));
}

export function autoLayout(lab: Lab): Record<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: rankGap(lab), marginx: 40, marginy: 40 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const name of Object.keys(lab.nodes)) g.setNode(name, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const l of lab.links) if (g.hasNode(l.a.node) && g.hasNode(l.b.node)) g.setEdge(l.a.node, l.b.node);
  for (const [name, spec] of Object.entries(lab.nodes))
    if (spec.kind === 'bridge' && spec.host && g.hasNode(spec.host)) g.setEdge(spec.host, name);
  // Nodes without any link are not dagre's business: they go in a row under the rest.
  const isolated = Object.keys(lab.nodes).filter((n) => (g.nodeEdges(n) ?? []).length === 0);
  for (const n of isolated) g.removeNode(n);
  dagre.layout(g);
  const out: Record<string, { x: number; y: number }> = {};
  let bottom = 0;
  for (const name of g.nodes()) {
    const n = g.node(name) as { x: number; y: number } | undefined;
    if (!n) continue;
    out[name] = { x: Math.round(n.x - NODE_WIDTH / 2), y: Math.round(n.y - NODE_HEIGHT / 2) };
    bottom = Math.max(bottom, out[name].y + NODE_HEIGHT);
  }
  isolated.forEach((name, i) => {
    out[name] = {
      x: 40 + (i % 6) * (NODE_WIDTH + 40),
      y: (bottom ? bottom + 60 : 40) + Math.floor(i / 6) * (NODE_HEIGHT + 50),
    };
  });
  return out;
}
