import { describe, expect, it } from 'vitest';
import { liveBadge, toFlow } from './graph';
import { linkId } from './lab-edit';
import type { Lab } from '@patchbay/topology';

const lab: Lab = {
  name: 'x',
  nodes: { br0: { kind: 'bridge', addresses: ['10.0.0.1/24'] }, web: { kind: 'netns' } },
  links: [{ a: { node: 'web', interface: 'eth0', addresses: ['10.0.0.2/24'] }, b: { node: 'br0', interface: 'p0' } }],
  overlays: [{ name: 'ov', vni: 7, members: [{ bridge: 'br0' }, { bridge: 'br0' }] }],
};

describe('toFlow', () => {
  it('draws nodes, a link edge and overlay edges, with problems and selection', () => {
    const g = toFlow({
      lab,
      positions: { web: { x: 5, y: 6 } },
      selected: { nodes: ['web'], links: [] },
      problemPaths: ['links[0].a.addresses[0]', 'nodes.web.routes[0]'],
    });
    expect(g.nodes.map((n) => [n.id, n.position, n.selected, n.data.problems])).toEqual([
      ['br0', { x: 80, y: 80 }, false, 0],
      ['web', { x: 5, y: 6 }, true, 1],
    ]);
    expect(g.nodes[1]!.data.addresses).toEqual(['10.0.0.2/24']);
    expect(g.edges[0]).toMatchObject({
      id: linkId(lab.links[0]!),
      source: 'web',
      target: 'br0',
      data: { problems: 1 },
    });
    expect(g.edges[1]).toMatchObject({ type: 'overlay', data: { vni: 7 } });
  });

  it('shows a policy on the pods it selects, and its peers while a selected pod has it', () => {
    const withPolicy: Lab = {
      ...lab,
      nodes: { ...lab.nodes, api: { kind: 'netns', labels: { app: 'api' } } },
      policies: [
        {
          name: 'web-ingress',
          podSelector: { nodes: ['web'] },
          ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }],
        },
      ],
    };
    const data = (selected: string[]) =>
      Object.fromEntries(
        toFlow({
          lab: withPolicy,
          positions: {},
          selected: { nodes: selected, links: [] },
          problemPaths: [],
        }).nodes.map((n) => [n.id, [n.data.policies, n.data.policyPeer]]),
      );
    expect(data([])).toEqual({
      br0: [undefined, undefined],
      web: [['web-ingress'], undefined],
      api: [undefined, undefined],
    });
    expect(data(['web']).api).toEqual([undefined, true]);
  });

  it("shows live state: interfaces up, the bridge's learned MACs, link ends down", () => {
    const g = toFlow({
      lab,
      positions: {},
      selected: { nodes: [], links: [] },
      problemPaths: [],
      live: {
        nodes: {
          web: {
            node: 'web',
            kind: 'netns',
            namespace: 'n',
            present: true,
            interfaces: [
              { name: 'lo', kind: 'loopback', up: true, addresses: [] },
              { name: 'eth0', kind: 'veth', up: false, addresses: [] },
            ],
            routes: [],
            neighbours: [],
          },
          _host: {
            node: '_host',
            kind: 'implicit-host',
            namespace: 'h',
            present: true,
            interfaces: [{ name: 'p0', kind: 'veth', up: true, addresses: [] }],
            routes: [],
            neighbours: [],
          },
        },
        bridges: {
          br0: {
            bridge: 'br0',
            host: '_host',
            namespace: 'h',
            device: 'br0',
            present: true,
            up: true,
            stp: false,
            vlanFiltering: false,
            addresses: [],
            ports: ['p0'],
            fdb: [
              { mac: 'aa:bb:cc:00:00:01', port: 'p0', flags: [] },
              { mac: 'aa:bb:cc:00:00:02', port: 'p0', flags: ['self'], state: 'permanent' },
            ],
            vlans: [],
          },
        },
        changedAt: {},
      },
    });
    expect(g.nodes.find((n) => n.id === 'web')!.data.live).toMatchObject({ interfacesUp: 0, interfaces: 1 });
    expect(g.nodes.find((n) => n.id === 'br0')!.data.live).toMatchObject({ fdb: 1 });
    expect(g.edges[0]!.data).toMatchObject({ live: { aUp: false, bUp: true } });
  });

  it("gives a link the packet rate of its busier end; a bridge port is read in the bridge's host", () => {
    const bridges = {
      br0: {
        bridge: 'br0',
        host: '_host',
        namespace: 'h',
        device: 'br0',
        present: true,
        up: true,
        stp: false,
        vlanFiltering: false,
        addresses: [],
        ports: ['p0'],
        fdb: [],
        vlans: [],
      },
    };
    const at = (rates: Record<string, Record<string, { rx: number; tx: number }>>) =>
      toFlow({
        lab,
        positions: {},
        selected: { nodes: [], links: [] },
        problemPaths: [],
        live: { nodes: {}, bridges, changedAt: {}, rates },
      }).edges[0]!.data;
    // web's eth0 saw 3 + 4 packets/s, the port p0 (in _host, not in br0) 2 + 10.
    expect(
      at({ web: { eth0: { rx: 3, tx: 4 } }, _host: { p0: { rx: 2, tx: 10 } }, br0: { p0: { rx: 100, tx: 100 } } }),
    ).toMatchObject({ live: { pps: 12 } });
    expect(at({ web: { eth0: { rx: 0.5, tx: 0 } } })).toMatchObject({ live: { pps: 0.5 } });
    expect(at({ web: { eth0: { rx: 0, tx: 0 } }, _host: { p0: { rx: 0, tx: 0 } } })).toMatchObject({
      live: { pps: 0 },
    });
    // No rates yet (fewer than two samples): no pps at all.
    expect((at({}) as { live: object }).live).not.toHaveProperty('pps');
  });
});

import { autoLayout, freeSpot, NODE_HEIGHT, NODE_WIDTH } from './layout';

describe('layout', () => {
  it('never puts two nodes on top of each other, linked or not', () => {
    const lab: Lab = {
      name: 'x',
      nodes: {
        a: { kind: 'netns' },
        b: { kind: 'netns' },
        br: { kind: 'bridge' },
        lone1: { kind: 'router' },
        lone2: { kind: 'host' },
      },
      links: [
        { a: { node: 'a', interface: 'eth0' }, b: { node: 'br', interface: 'p0' } },
        { a: { node: 'b', interface: 'eth0' }, b: { node: 'br', interface: 'p1' } },
      ],
    };
    const p = Object.values(autoLayout(lab));
    expect(p).toHaveLength(5);
    for (let i = 0; i < p.length; i++)
      for (let j = i + 1; j < p.length; j++)
        expect(Math.abs(p[i]!.x - p[j]!.x) >= NODE_WIDTH || Math.abs(p[i]!.y - p[j]!.y) >= NODE_HEIGHT).toBe(true);
  });

  it('finds a free spot next to taken ones', () => {
    const taken = { a: { x: 0, y: 0 } };
    expect(freeSpot({}, { x: 5, y: 5 })).toEqual({ x: 5, y: 5 });
    const s = freeSpot(taken, { x: 10, y: 10 });
    expect(Math.abs(s.x) >= NODE_WIDTH || Math.abs(s.y) >= NODE_HEIGHT).toBe(true);
  });
});

describe('liveBadge', () => {
  const empty = { nodes: {}, bridges: {}, changedAt: {} };
  const flow = (live: Parameters<typeof toFlow>[0]['live']) =>
    toFlow({ lab, positions: {}, selected: { nodes: [], links: [] }, problemPaths: [], ...(live ? { live } : {}) });

  it('says "not applied" for a node the running lab does not have yet, not "0/0 up"', () => {
    const g = flow(empty);
    const web = g.nodes.find((n) => n.id === 'web')!.data;
    expect(liveBadge(web.kind, web.live)).toMatchObject({ text: 'not applied', tone: 'muted' });
    const br0 = g.nodes.find((n) => n.id === 'br0')!.data;
    expect(liveBadge(br0.kind, br0.live)?.text).toBe('not applied');
  });

  it('says "not applied" for a namespace whose drawn interfaces are not in the kernel yet', () => {
    const web = { node: 'web', kind: 'netns' as const, namespace: 'w', present: true, routes: [], neighbours: [] };
    const g = flow({
      ...empty,
      nodes: { web: { ...web, interfaces: [{ name: 'lo', kind: 'loopback', up: true, addresses: [] }] } },
    });
    const data = g.nodes.find((n) => n.id === 'web')!.data;
    expect(liveBadge(data.kind, data.live)?.text).toBe('not applied');
  });

  it('counts interfaces up once applied; missing when gone; nothing without live state', () => {
    expect(liveBadge('netns', { present: true, interfacesUp: 1, interfaces: 2, changed: false })).toMatchObject({
      text: '1/2 up',
      tone: 'warn',
    });
    expect(liveBadge('netns', { present: false, interfacesUp: 0, interfaces: 0, changed: false })?.text).toBe(
      'missing',
    );
    expect(liveBadge('netns', { present: true, interfacesUp: 0, interfaces: 0, changed: false })?.text).toBe(
      'no links',
    );
    expect(liveBadge('bridge', { present: true, interfacesUp: 1, interfaces: 1, changed: false })).toBeUndefined();
    expect(liveBadge('netns', undefined)).toBeUndefined();
  });

  it('gives every node a size before it is measured (the minimap draws only sized nodes)', () => {
    for (const n of flow(undefined).nodes) expect(n.initialWidth! > 0 && n.initialHeight! > 0).toBe(true);
  });

  it("lists a node's CNI attachments for its badge", () => {
    const withCni: Lab = {
      ...lab,
      nodes: {
        ...lab.nodes,
        h: { kind: 'host' },
        web: {
          kind: 'netns',
          cni: [{ host: 'h', interface: 'eth0', plugin: 'ptp', network: 'n', subnet: '10.9.0.0/24' }],
        },
      },
    };
    const drawn = toFlow({ lab: withCni, positions: {}, selected: { nodes: [], links: [] }, problemPaths: [] });
    expect(Object.fromEntries(drawn.nodes.map((n) => [n.id, n.data.cni]))).toEqual({
      br0: undefined,
      h: undefined,
      web: ['ptp eth0 on h'],
    });
  });

  it('counts the run: lines of a node, and with live state how many run', () => {
    const withRun: Lab = { ...lab, nodes: { ...lab.nodes, web: { kind: 'netns', run: ['sleep 1', 'sleep 2'] } } };
    const drawn = toFlow({ lab: withRun, positions: {}, selected: { nodes: [], links: [] }, problemPaths: [] });
    expect(drawn.nodes.map((n) => [n.id, n.data.runs, n.data.running])).toEqual([
      ['br0', 0, undefined],
      ['web', 2, undefined],
    ]);
    const process = (state: 'running' | 'exited') => ({ name: 'x', command: 'x', state, output: '' });
    const live = toFlow({
      lab: withRun,
      positions: {},
      selected: { nodes: [], links: [] },
      problemPaths: [],
      live: {
        nodes: {
          web: {
            node: 'web',
            kind: 'netns',
            namespace: 'n',
            present: true,
            interfaces: [],
            routes: [],
            neighbours: [],
            processes: [process('running'), process('exited')],
          },
        },
        bridges: {},
        changedAt: {},
      },
    });
    expect(live.nodes[1]!.data).toMatchObject({ runs: 2, running: 1 });
  });
});
