// The links of a zoomed-out drawing (below DETAIL_ZOOM, where a node is a few pixels tall): every
// edge as a border-to-border segment, gathered into one SVG path per look (its classes: the kind
// of edge, a link's live state, selected, problems, the last apply's mark). React Flow's own edge
// views cost several store subscriptions each, run at every frame of a drag or a pan: with 960
// links that was most of the frame (bench:web); a few paths cost next to nothing.
import type { FlowEdge } from './graph';
import { linkSegment, type Rect } from './edge-geometry';

/** The classes of an edge's line, as its full view gives its path (LinkEdge, ServiceNode's edges). */
export function edgeLineClass(e: FlowEdge): string {
  switch (e.type) {
    case 'link': {
      const live = e.data?.live;
      const state =
        !live || live.aUp === undefined || live.bUp === undefined ? 'unknown' : live.aUp && live.bUp ? 'up' : 'down';
      return [
        'pb-link',
        `link-${state}`,
        e.selected ? 'selected' : '',
        e.data?.problems ? 'has-problems' : '',
        e.data?.mark ? `mark-${e.data.mark.state}` : '',
      ]
        .filter(Boolean)
        .join(' ');
    }
    case 'macvlan':
      return ['pb-link', 'pb-macvlan', e.selected ? 'selected' : '', e.data?.problems ? 'has-problems' : '']
        .filter(Boolean)
        .join(' ');
    case 'overlay':
      return 'pb-overlay';
    case 'hosted':
      return 'pb-hosted';
    default:
      return 'pb-service-endpoint';
  }
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/**
 * One path (SVG `d`) per distinct look; an edge whose node has no rectangle (not drawn) is left out.
 * The links of the nodes being dragged (`moving`) get paths of their own: while a drag runs only
 * those change, so the browser repaints the dragged links, not every link of the drawing.
 */
export function compactLinkPaths(
  edges: readonly FlowEdge[],
  rectOf: (node: string) => Rect | undefined,
  moving: ReadonlySet<string> = new Set(),
): { key: string; className: string; d: string }[] {
  const byKey = new Map<string, { className: string; parts: string[] }>();
  for (const e of edges) {
    const a = rectOf(e.source);
    const b = rectOf(e.target);
    if (!a || !b) continue;
    const { from, to } = linkSegment(a, b);
    const className = edgeLineClass(e);
    const key = `${moving.has(e.source) || moving.has(e.target) ? 'moving' : 'still'} ${className}`;
    let path = byKey.get(key);
    if (!path) byKey.set(key, (path = { className, parts: [] }));
    path.parts.push(`M${r1(from.x)} ${r1(from.y)}L${r1(to.x)} ${r1(to.y)}`);
  }
  return [...byKey].map(([key, p]) => ({ key, className: p.className, d: p.parts.join('') }));
}
