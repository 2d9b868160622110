// A veth pair on the canvas: the path between the two nodes, each end labelled with its interface
// and first address near its node (clear of every node, so each label can be clicked); coloured by
// the live link state (both ends up, one down), and animated while packets flow (wider with log10
// of the packet rate).
import {
  BaseEdge,
  EdgeLabelRenderer,
  getStraightPath,
  useInternalNode,
  useStore as useFlowStore,
  type EdgeProps,
  type InternalNode,
  type ReactFlowState,
} from '@xyflow/react';
import { memo, useCallback, type CSSProperties } from 'react';
import { labelSize, linkSegment, placeEndLabels, placeLabel, type Rect } from '../model/edge-geometry';
import type { HostedFlowEdge, LinkFlowEdge, MacvlanFlowEdge, OverlayFlowEdge } from '../model/graph';
import { endLabelText, NODE_HEIGHT, NODE_WIDTH } from '../model/layout';
import { WhyEdgeHalo } from '../why/canvas-marks';
import { useEditorStore } from './editor-context';
import { DETAIL_ZOOM } from './LabNode';

function rectOf(n: InternalNode | undefined): Rect | undefined {
  if (!n) return undefined;
  const p = n.internals.positionAbsolute;
  return { x: p.x, y: p.y, w: n.measured.width ?? NODE_WIDTH, h: n.measured.height ?? NODE_HEIGHT };
}

const sameRects = (a: Rect[], b: Rect[]) =>
  a.length === b.length && a.every((r, i) => r.x === b[i]!.x && r.y === b[i]!.y && r.w === b[i]!.w && r.h === b[i]!.h);

/** The other nodes near the link between `source` and `target` (labels must not land on them). */
function useNodesNear(source: string, target: string, enabled: boolean): Rect[] {
  const select = useCallback(
    (s: ReactFlowState): Rect[] => {
      if (!enabled) return [];
      const a = rectOf(s.nodeLookup.get(source));
      const b = rectOf(s.nodeLookup.get(target));
      if (!a || !b) return [];
      const margin = 200;
      const area: Rect = {
        x: Math.min(a.x, b.x) - margin,
        y: Math.min(a.y, b.y) - margin,
        w: Math.max(a.x + a.w, b.x + b.w) - Math.min(a.x, b.x) + 2 * margin,
        h: Math.max(a.y + a.h, b.y + b.h) - Math.min(a.y, b.y) + 2 * margin,
      };
      const out: Rect[] = [];
      for (const [id, n] of s.nodeLookup) {
        if (id === source || id === target) continue;
        const r = rectOf(n)!;
        if (r.x < area.x + area.w && area.x < r.x + r.w && r.y < area.y + area.h && area.y < r.y + r.h) out.push(r);
      }
      return out;
    },
    [source, target, enabled],
  );
  return useFlowStore(select, sameRects);
}

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

// The link is drawn border to border between its nodes' rectangles (not from React Flow's handles),
// and its end labels are placed clear of every node: see model/edge-geometry.
function LinkEdgeView({
  id,
  source,
  target,
  sourceX,
  sourceY,
  targetX,
  targetY,
  data,
  selected,
}: EdgeProps<LinkFlowEdge>) {
  const ra = rectOf(useInternalNode(source));
  const rb = rectOf(useInternalNode(target));
  const seg = ra && rb ? linkSegment(ra, rb) : { from: { x: sourceX, y: sourceY }, to: { x: targetX, y: targetY } };
  const [path] = getStraightPath({ sourceX: seg.from.x, sourceY: seg.from.y, targetX: seg.to.x, targetY: seg.to.y });
  const link = data!.link;
  const live = data!.live;
  const state =
    !live || live.aUp === undefined || live.bUp === undefined ? 'unknown' : live.aUp && live.bUp ? 'up' : 'down';
  const store = useEditorStore();
  const labels = useFlowStore((s) => s.transform[2] >= DETAIL_ZOOM);
  const others = useNodesNear(source, target, labels);
  const textA = endLabelText(link.a);
  const textB = endLabelText(link.b);
  const spots = labels && ra && rb ? placeEndLabels(ra, rb, others, labelSize(textA), labelSize(textB)) : undefined;
  const select = () => store.getState().select([], [id]);
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
      <WhyEdgeHalo id={id} path={path} />
      <BaseEdge id={id} path={path} className={cls} style={style} interactionWidth={16} />
      {spots && (
        <EdgeLabelRenderer>
          {endLabel(spots.a.x, spots.a.y, textA, `edge-end-${link.a.node}-${link.a.interface}`, select)}
          {endLabel(spots.b.x, spots.b.y, textB, `edge-end-${link.b.node}-${link.b.interface}`, select)}
        </EdgeLabelRenderer>
      )}
    </>
  );
}

function OverlayEdgeView({ id, sourceX, sourceY, targetX, targetY, data }: EdgeProps<OverlayFlowEdge>) {
  const [path, lx, ly] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  return (
    <>
      <WhyEdgeHalo id={id} path={path} />
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
  return (
    <>
      <WhyEdgeHalo id={id} path={path} />
      <BaseEdge id={id} path={path} className="pb-hosted" />
    </>
  );
}
export const HostedEdge = memo(HostedEdgeView);

/**
 * A macvlan: drawn like a link between its node and its host (dashed), with one label near the
 * node's end (its interface and mode), placed clear of every node as a link's end labels are.
 */
function MacvlanEdgeView({
  id,
  source,
  target,
  sourceX,
  sourceY,
  targetX,
  targetY,
  data,
  selected,
}: EdgeProps<MacvlanFlowEdge>) {
  const store = useEditorStore();
  const ra = rectOf(useInternalNode(source));
  const rb = rectOf(useInternalNode(target));
  const seg = ra && rb ? linkSegment(ra, rb) : { from: { x: sourceX, y: sourceY }, to: { x: targetX, y: targetY } };
  const [path] = getStraightPath({ sourceX: seg.from.x, sourceY: seg.from.y, targetX: seg.to.x, targetY: seg.to.y });
  const others = useNodesNear(source, target, true);
  const m = data!.macvlan;
  const text = `${m.interface} · macvlan ${m.mode ?? 'bridge'}`;
  const spot = placeLabel(seg.from, seg.to, labelSize(text), [...(ra ? [ra] : []), ...(rb ? [rb] : []), ...others]);
  const cls = ['pb-link', 'pb-macvlan', selected ? 'selected' : '', data!.problems ? 'has-problems' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <>
      <BaseEdge id={id} path={path} className={cls} interactionWidth={16} />
      <EdgeLabelRenderer>
        <div
          className="pb-edge-end pb-macvlan-label mono nodrag nopan"
          data-testid={`edge-macvlan-${m.node}-${m.interface}`}
          title={`macvlan on ${m.parent.node} ${m.parent.interface}: select it`}
          style={{ transform: `translate(-50%, -50%) translate(${spot.x}px, ${spot.y}px)` }}
          onClick={() => store.getState().select([], [id])}
        >
          {text}
        </div>
      </EdgeLabelRenderer>
    </>
  );
}
export const MacvlanEdge = memo(MacvlanEdgeView);
