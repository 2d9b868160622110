// A veth pair on the canvas: the path between the two nodes, each end labelled with its interface
// and first address near its node; coloured by the live link state (both ends up, one down), and
// animated while packets flow (wider with log10 of the packet rate).
import { BaseEdge, EdgeLabelRenderer, getStraightPath, useStore as useFlowStore, type EdgeProps } from '@xyflow/react';
import { memo, type CSSProperties } from 'react';
import type { HostedFlowEdge, LinkFlowEdge, OverlayFlowEdge } from '../model/graph';
import { useEditorStore } from './editor-context';
import { DETAIL_ZOOM } from './LabNode';

/** Labels sit this far from each end, just outside the node (the path starts at the node's handle). */
const LABEL_OFFSET = 40;

function endLabel(x: number, y: number, text: string, testid: string, onClick: () => void) {
  return (
    <div
      className="pb-edge-end mono nodrag nopan"
      style={{ transform: `translate(-50%, -50%) translate(${x}px, ${y}px)` }}
      data-testid={testid}
      onClick={onClick}
      title="select this link"
    >
      {text}
    </div>
  );
}

function LinkEdgeView({ id, sourceX, sourceY, targetX, targetY, data, selected }: EdgeProps<LinkFlowEdge>) {
  const [path] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  const link = data!.link;
  const live = data!.live;
  const state =
    !live || live.aUp === undefined || live.bUp === undefined ? 'unknown' : live.aUp && live.bUp ? 'up' : 'down';
  const store = useEditorStore();
  const labels = useFlowStore((s) => s.transform[2] >= DETAIL_ZOOM);
  const length = Math.hypot(targetX - sourceX, targetY - sourceY) || 1;
  const t = Math.min(0.4, LABEL_OFFSET / length);
  const at = (f: number) => ({ x: sourceX + (targetX - sourceX) * f, y: sourceY + (targetY - sourceY) * f });
  const a = at(t);
  const b = at(1 - t);
  const select = () => store.getState().select([], [id]);
  const txt = (e: typeof link.a) => `${e.interface}${e.addresses?.[0] ? ` ${e.addresses[0]}` : ''}`;
  const pps = live?.pps ?? 0;
  const traffic = pps > 0;
  const cls = [
    'pb-link',
    `link-${state}`,
    traffic ? 'link-traffic' : '',
    selected ? 'selected' : '',
    data!.problems ? 'has-problems' : '',
    data!.mark ? `mark-${data!.mark.state}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const style = traffic ? ({ '--pb-traffic': Math.log10(1 + pps).toFixed(2) } as CSSProperties) : undefined;
  return (
    <>
      {traffic ? <title>{`${pps < 10 ? pps.toFixed(1) : Math.round(pps)} packets/s`}</title> : null}
      <BaseEdge id={id} path={path} className={cls} style={style} interactionWidth={16} />
      {labels && (
        <EdgeLabelRenderer>
          {endLabel(a.x, a.y, txt(link.a), `edge-end-${link.a.node}-${link.a.interface}`, select)}
          {endLabel(b.x, b.y, txt(link.b), `edge-end-${link.b.node}-${link.b.interface}`, select)}
        </EdgeLabelRenderer>
      )}
    </>
  );
}

function OverlayEdgeView({ id, sourceX, sourceY, targetX, targetY, data }: EdgeProps<OverlayFlowEdge>) {
  const [path, lx, ly] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  return (
    <>
      <BaseEdge id={id} path={path} className="pb-overlay" />
      <EdgeLabelRenderer>
        <div
          className="pb-edge-end pb-overlay-label mono"
          style={{ transform: `translate(-50%, -50%) translate(${lx}px, ${ly}px)` }}
        >
          {data!.overlay} · VNI {data!.vni}
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

export const LinkEdge = memo(LinkEdgeView);
export const OverlayEdge = memo(OverlayEdgeView);

/** A bridge's tie to the host it lives in: not a cable, just where it is. */
function HostedEdgeView({ id, sourceX, sourceY, targetX, targetY }: EdgeProps<HostedFlowEdge>) {
  const [path] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  return <BaseEdge id={id} path={path} className="pb-hosted" />;
}
export const HostedEdge = memo(HostedEdgeView);
