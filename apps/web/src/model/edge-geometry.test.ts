import { describe, expect, it } from 'vitest';
import { autoLayout, NODE_HEIGHT, NODE_WIDTH } from './layout';
import { intersects, labelSize, linkSegment, placeEndLabels, type Rect } from './edge-geometry';
import type { Lab } from '@patchbay/topology';

const rect = (x: number, y: number): Rect => ({ x, y, w: 170, h: 76 });
const box = (p: { x: number; y: number }, text: string): Rect => {
  const s = labelSize(text);
  return { x: p.x - s.w / 2, y: p.y - s.h / 2, w: s.w, h: s.h };
};

describe('link geometry', () => {
  it('draws a link from border to border on the line between the centres', () => {
    expect(linkSegment(rect(0, 0), rect(300, 0))).toEqual({ from: { x: 170, y: 38 }, to: { x: 300, y: 38 } });
    // One node right under the other: the line leaves by the bottom, not through the node.
    expect(linkSegment(rect(0, 0), rect(0, 200))).toEqual({ from: { x: 85, y: 76 }, to: { x: 85, y: 200 } });
  });

  it('puts each end label near its own node, on the link, clear of both nodes', () => {
    const a = rect(0, 0);
    const b = rect(400, 0);
    const { a: la, b: lb } = placeEndLabels(a, b, [], labelSize('eth0 10.0.0.1/24'), labelSize('eth0'));
    expect(la.y).toBe(38);
    expect(la.x).toBeGreaterThan(170);
    expect(la.x).toBeLessThan(300);
    expect(lb.x).toBeGreaterThan(la.x);
    for (const [p, t] of [
      [la, 'eth0 10.0.0.1/24'],
      [lb, 'eth0'],
    ] as const) {
      expect(intersects(box(p, t), a)).toBe(false);
      expect(intersects(box(p, t), b)).toBe(false);
    }
  });

  it('moves a label past a third node lying across the link', () => {
    const a = rect(0, 0);
    const b = rect(700, 0);
    const across = rect(250, 0);
    const { a: la } = placeEndLabels(a, b, [across], labelSize('eth1 192.168.101.1/24'), labelSize('x'));
    expect(intersects(box(la, 'eth1 192.168.101.1/24'), across)).toBe(false);
  });

  it('after Arrange, no end label of a router between two bridges with two namespaces each lies on a node', () => {
    const link = (a: string, ia: string, b: string, ib: string, addr?: string) => ({
      a: { node: a, interface: ia, ...(addr ? { addresses: [addr] } : {}) },
      b: { node: b, interface: ib },
    });
    const lab: Lab = {
      name: 'class',
      nodes: {
        br0: { kind: 'bridge' },
        br1: { kind: 'bridge' },
        r1: { kind: 'router' },
        ns1: { kind: 'netns' },
        ns2: { kind: 'netns' },
        ns3: { kind: 'netns' },
        ns4: { kind: 'netns' },
      },
      links: [
        link('ns1', 'eth0', 'br0', 'br0-ns1', '192.168.100.1/24'),
        link('ns2', 'eth0', 'br0', 'br0-ns2', '192.168.100.2/24'),
        link('r1', 'eth0', 'br0', 'br0-r1', '192.168.100.3/24'),
        link('r1', 'eth1', 'br1', 'br1-r1', '192.168.101.1/24'),
        link('ns3', 'eth0', 'br1', 'br1-ns3', '192.168.101.2/24'),
        link('ns4', 'eth0', 'br1', 'br1-ns4', '192.168.101.3/24'),
      ],
    };
    const pos = autoLayout(lab);
    const rects = Object.fromEntries(
      Object.entries(pos).map(([n, p]) => [n, { x: p.x, y: p.y, w: NODE_WIDTH, h: NODE_HEIGHT }]),
    );
    for (const l of lab.links) {
      const ta = `${l.a.interface} ${l.a.addresses?.[0] ?? ''}`.trim();
      const tb = l.b.interface;
      const spots = placeEndLabels(
        rects[l.a.node]!,
        rects[l.b.node]!,
        Object.values(rects),
        labelSize(ta),
        labelSize(tb),
      );
      for (const r of Object.values(rects)) {
        expect(intersects(box(spots.a, ta), r), `${ta} on a node`).toBe(false);
        expect(intersects(box(spots.b, tb), r), `${tb} on a node`).toBe(false);
      }
    }
  });
});
