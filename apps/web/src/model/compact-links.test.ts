import { describe, expect, it } from 'vitest';
import { compactLinkPaths, edgeLineClass } from './compact-links';
import type { FlowEdge } from './graph';

const link = (id: string, source: string, target: string, extra: Partial<FlowEdge> = {}, data = {}): FlowEdge =>
  ({
    id,
    type: 'link',
    source,
    target,
    data: {
      link: { a: { node: source, interface: 'eth0' }, b: { node: target, interface: 'eth0' } },
      problems: 0,
      ...data,
    },
    ...extra,
  }) as FlowEdge;

const rects: Record<string, { x: number; y: number; w: number; h: number }> = {
  a: { x: 0, y: 0, w: 100, h: 50 },
  b: { x: 300, y: 0, w: 100, h: 50 },
  c: { x: 0, y: 200, w: 100, h: 50 },
};

describe('compact links (a zoomed-out drawing)', () => {
  it('draws each link border to border, one path per look', () => {
    const paths = compactLinkPaths(
      [
        link('l1', 'a', 'b'),
        link('l2', 'a', 'c'),
        link('l3', 'b', 'c', { selected: true }),
        link('l4', 'a', 'b', {}, { live: { aUp: true, bUp: false } }),
        link('gone', 'a', 'nowhere'),
        { id: 'hosted:x', type: 'hosted', source: 'a', target: 'c', data: {} },
      ],
      (n) => rects[n],
    );
    expect(paths.map(({ key: _, ...p }) => p)).toEqual([
      // a's right border to b's left border; a's bottom to c's top
      { className: 'pb-link link-unknown', d: 'M100 25L300 25M50 50L50 200' },
      { className: 'pb-link link-unknown selected', d: expect.stringMatching(/^M[\d.]+ [\d.]+L[\d.]+ [\d.]+$/) },
      { className: 'pb-link link-down', d: 'M100 25L300 25' },
      { className: 'pb-hosted', d: 'M50 50L50 200' },
    ]);
    expect(new Set(paths.map((p) => p.key)).size).toBe(paths.length);
  });

  it('gives the links of the nodes being dragged paths of their own', () => {
    const edges = [link('l1', 'a', 'b'), link('l2', 'a', 'c'), link('l3', 'b', 'c')];
    const paths = compactLinkPaths(edges, (n) => rects[n], new Set(['c']));
    expect(paths).toEqual([
      { key: 'still pb-link link-unknown', className: 'pb-link link-unknown', d: 'M100 25L300 25' },
      {
        key: 'moving pb-link link-unknown',
        className: 'pb-link link-unknown',
        d: expect.stringContaining('M50 50L50 200'),
      },
    ]);
    expect(paths[1]!.d.split('M')).toHaveLength(3);
  });

  it("gives a line the classes of its full view's path", () => {
    expect(
      edgeLineClass(
        link('l', 'a', 'b', {}, { live: { aUp: true, bUp: true }, problems: 2, mark: { state: 'changed' } }),
      ),
    ).toBe('pb-link link-up has-problems mark-changed');
    expect(
      edgeLineClass({
        id: 'o',
        type: 'overlay',
        source: 'a',
        target: 'b',
        data: { overlay: 'ov', vni: 42 },
      }),
    ).toBe('pb-overlay');
  });
});
