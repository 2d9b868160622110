// A veth pair on the canvas: the path between the two nodes, each end labelled with its interface
// and first address near its node; coloured by the live link state (both ends up, one down).
import { BaseEdge, EdgeLabelRenderer, getStraightPath, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import type { LinkFlowEdge, OverlayFlowEdge } from '../model/graph';

function endLabel(x: number, y: number, text: string, testid: string) {
  return (
    <div className="pb-edge-end mono nodrag nopan" style={{ transform: `translate(-50%, -50%) translate(${x}px, ${y}px)` }} data-testid={testid}>
      {text}
    </div>
  );
}

function LinkEdgeView({ id, sourceX, sourceY, targetX, targetY, data, selected }: EdgeProps<LinkFlowEdge>) {
  const [path] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  const link = data!.link;
  const live = data!.live;
  const state = !live || live.aUp === undefined || live.bUp === undefined ? 'unknown' : live.aUp && live.bUp ? 'up' : 'down';
  const at = (t: number) => ({ x: sourceX + (targetX - sourceX) * t, y: sourceY + (targetY - sourceY) * t });
  const a = at(0.22);
  const b = at(0.78);
  const txt = (e: typeof link.a) => `${e.interface}${e.addresses?.[0] ? ` ${e.addresses[0]}` : ''}`;
  const cls = ['pb-link', `link-${state}`, selected ? 'selected' : '', data!.problems ? 'has-problems' : '', data!.mark ? `mark-${data!.mark.state}` : ''].filter(Boolean).join(' ');
  return (
    <>
      <BaseEdge id={id} path={path} className={cls} interactionWidth={16} />
      <EdgeLabelRenderer>
        {endLabel(a.x, a.y, txt(link.a), `edge-end-${link.a.node}-${link.a.interface}`)}
        {endLabel(b.x, b.y, txt(link.b), `edge-end-${link.b.node}-${link.b.interface}`)}
      </EdgeLabelRenderer>
    </>
  );
}

function OverlayEdgeView({ id, sourceX, sourceY, targetX, targetY, data }: EdgeProps<OverlayFlowEdge>) {
  const [path, lx, ly] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  return (
    <>
      <BaseEdge id={id} path={path} className="pb-overlay" />
      <EdgeLabelRenderer>
        <div className="pb-edge-end pb-overlay-label mono" style={{ transform: `translate(-50%, -50%) translate(${lx}px, ${ly}px)` }}>
          {data!.overlay} · VNI {data!.vni}
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

export const LinkEdge = memo(LinkEdgeView);
export const OverlayEdge = memo(OverlayEdgeView);
