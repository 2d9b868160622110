// Zoomed out (below DETAIL_ZOOM), the canvas gives React Flow no edges and draws every link here
// instead, a few SVG paths in the viewport (model/compact-links.ts says why). Lines keep their
// colours (live state, selection, problems, apply marks) at a width that does not shrink with
// the zoom; clicking and focusing links needs the zoom where they are React Flow's again.
import { useReactFlow, ViewportPortal } from '@xyflow/react';
import { memo, useMemo } from 'react';
import { compactLinkPaths } from '../model/compact-links';
import type { Rect } from '../model/edge-geometry';
import type { FlowEdge, FlowNode } from '../model/graph';
import { NODE_HEIGHT, NODE_WIDTH } from '../model/layout';

function CompactLinksView({ nodes, edges }: { nodes: readonly FlowNode[]; edges: readonly FlowEdge[] }) {
  const flow = useReactFlow();
  const paths = useMemo(() => {
    const at = new Map(nodes.map((n) => [n.id, n.position]));
    const rectOf = (id: string): Rect | undefined => {
      const p = at.get(id);
      if (!p) return undefined;
      // React Flow's measure once it has one (read, not subscribed: a node's size changes only with
      // its content, which re-renders this through `nodes`).
      const m = flow.getInternalNode(id)?.measured;
      return { x: p.x, y: p.y, w: m?.width ?? NODE_WIDTH, h: m?.height ?? NODE_HEIGHT };
    };
    const moving = new Set(nodes.filter((n) => n.dragging).map((n) => n.id));
    return compactLinkPaths(edges, rectOf, moving);
  }, [nodes, edges, flow]);
  return (
    <ViewportPortal>
      <svg className="pb-compact-links" data-testid="compact-links">
        {paths.map((p) => (
          <path key={p.key} className={`react-flow__edge-path ${p.className}`} d={p.d} />
        ))}
      </svg>
    </ViewportPortal>
  );
}

export const CompactLinks = memo(CompactLinksView);
