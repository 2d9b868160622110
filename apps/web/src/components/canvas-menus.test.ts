import { describe, expect, it } from 'vitest';
import { linkMenuItems, nodeMenuItems, type CanvasActions } from './canvas-menus';

const calls: string[] = [];
const all: CanvasActions = {
  onCapture: (n, i) => calls.push(`capture ${n} ${i}`),
  onPing: (n) => calls.push(`ping ${n}`),
  onTerminal: (n) => calls.push(`terminal ${n}`),
  onWhy: (n) => calls.push(`why ${n}`),
};

describe("the canvas's context menus", () => {
  it('offers a node what its kind allows, and only the actions the page gives', () => {
    expect(nodeMenuItems(all, 'ns1', 'netns').map((i) => i.label)).toEqual([
      'Capture on ns1 (any interface)',
      'Ping from ns1',
      'Open a terminal in ns1',
      'Why? From ns1 to…',
    ]);
    expect(nodeMenuItems(all, 'h1', 'host').map((i) => i.label)).toEqual([
      'Capture on h1 (any interface)',
      'Ping from h1',
      'Why? From h1 to…',
    ]);
    expect(nodeMenuItems(all, 'br0', 'bridge').map((i) => i.label)).toEqual(['Capture on br0 (any interface)']);
    expect(nodeMenuItems({}, 'ns1', 'netns')).toEqual([]);
    calls.length = 0;
    for (const i of [...nodeMenuItems(all, 'br0', 'bridge'), ...nodeMenuItems(all, 'r1', 'router')]) i.run();
    expect(calls).toEqual(['capture br0 br0', 'capture r1 any', 'ping r1', 'terminal r1', 'why r1']);
  });

  it('offers a link a capture on either end, and nothing without the capture action', () => {
    const link = { a: { node: 'ns1', interface: 'eth0' }, b: { node: 'br0', interface: 'br0-ns1' } };
    calls.length = 0;
    const items = linkMenuItems(all, link);
    expect(items.map((i) => i.label)).toEqual(['Capture on ns1 eth0', 'Capture on br0 br0-ns1']);
    for (const i of items) i.run();
    expect(calls).toEqual(['capture ns1 eth0', 'capture br0 br0-ns1']);
    expect(linkMenuItems({ onPing: () => undefined }, link)).toEqual([]);
  });
});
