// Where a link is drawn and where its end labels go. A link runs between the borders of its two
// nodes, on the line joining their centres (not from a fixed handle, whose line could cross its own
// node). Each end's label sits on that line, as near its node as it can without touching any node:
// after "Arrange" a label drawn under a node could not be clicked (issue 13).

export interface XY {
  x: number;
  y: number;
}
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface Size {
  w: number;
  h: number;
}

const center = (r: Rect): XY => ({ x: r.x + r.w / 2, y: r.y + r.h / 2 });

/** Where the ray from `r`'s centre towards `to` leaves `r` (the centre itself if `to` is inside). */
export function exitPoint(r: Rect, to: XY): XY {
  const c = center(r);
  const dx = to.x - c.x;
  const dy = to.y - c.y;
  if (dx === 0 && dy === 0) return c;
  const sx = dx === 0 ? Infinity : r.w / 2 / Math.abs(dx);
  const sy = dy === 0 ? Infinity : r.h / 2 / Math.abs(dy);
  const s = Math.min(sx, sy);
  if (s >= 1) return c;
  return { x: c.x + dx * s, y: c.y + dy * s };
}

/** The drawn segment of a link between nodes `a` and `b`: border to border on the centres' line. */
export function linkSegment(a: Rect, b: Rect): { from: XY; to: XY } {
  return { from: exitPoint(a, center(b)), to: exitPoint(b, center(a)) };
}

/** The box a label centred at `p` covers, grown by `pad` on each side. */
const boxAt = (p: XY, s: Size, pad: number): Rect => ({
  x: p.x - s.w / 2 - pad,
  y: p.y - s.h / 2 - pad,
  w: s.w + 2 * pad,
  h: s.h + 2 * pad,
});

export const intersects = (a: Rect, b: Rect): boolean =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** An end label's size, from its text: 10 px monospace, 4 px padding and a border each side. */
export function labelSize(text: string): Size {
  return { w: Math.ceil(text.length * 6.1) + 10, h: 16 };
}

const GAP = 4;
const STEP = 4;

/**
 * The centre of a label for the end at `from`, on the segment towards `to`: the first spot, walking
 * away from `from`, where it overlaps no rectangle of `avoid` (nodes, labels already placed). When
 * the segment has no such spot, the spot beside its middle that is clear, else the middle.
 */
export function placeLabel(from: XY, to: XY, size: Size, avoid: readonly Rect[]): XY {
  const len = Math.hypot(to.x - from.x, to.y - from.y);
  const mid = { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 };
  if (len === 0) return mid;
  const ux = (to.x - from.x) / len;
  const uy = (to.y - from.y) / len;
  // How far the label reaches along the line from its centre: it starts just clear of `from`.
  const reach = (size.w / 2) * Math.abs(ux) + (size.h / 2) * Math.abs(uy);
  const clear = (p: XY) => !avoid.some((r) => intersects(boxAt(p, size, 1), r));
  for (let d = reach + GAP; d <= len - reach - GAP; d += STEP) {
    const p = { x: from.x + ux * d, y: from.y + uy * d };
    if (clear(p)) return p;
  }
  // No room on the line (nodes close together, or another node across it): beside it, as near as
  // can be, first near `from`, then beside the middle.
  for (const f of [0.25, 0.5]) {
    const base = { x: from.x + (to.x - from.x) * f, y: from.y + (to.y - from.y) * f };
    for (let off = STEP; off <= 160; off += STEP) {
      for (const k of [1, -1]) {
        const p = { x: base.x - uy * off * k, y: base.y + ux * off * k };
        if (clear(p)) return p;
      }
    }
  }
  return mid;
}

/** Both end labels of a link between `a` and `b`, clear of every node in `nodes` and of each other. */
export function placeEndLabels(a: Rect, b: Rect, nodes: readonly Rect[], sizeA: Size, sizeB: Size): { a: XY; b: XY } {
  const { from, to } = linkSegment(a, b);
  const avoid = [a, b, ...nodes];
  const la = placeLabel(from, to, sizeA, avoid);
  const lb = placeLabel(to, from, sizeB, [...avoid, boxAt(la, sizeA, 1)]);
  return { a: la, b: lb };
}
