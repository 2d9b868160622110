import { parseLabText, type Lab } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { removeNodes } from './lab-edit';
import { addService, endpointCandidates, isServiceId, pruneServices, toggleEndpoint } from './service-edit';

const lab: Lab = {
  name: 'k',
  nodes: {
    node1: { kind: 'host' },
    cbr0: { kind: 'bridge', host: 'node1' },
    a: { kind: 'netns' },
    b: { kind: 'netns' },
  },
  links: [
    { a: { node: 'a', interface: 'eth0', addresses: ['10.244.1.2/24'] }, b: { node: 'cbr0', interface: 'va' } },
    { a: { node: 'b', interface: 'eth0', addresses: ['10.244.1.3/24'] }, b: { node: 'cbr0', interface: 'vb' } },
  ],
};

describe('service edits', () => {
  it('adds a valid Service with free names and ClusterIPs, its endpoints toggled', () => {
    const one = addService(lab, ['a']);
    expect(one.id).toBe('service:svc');
    expect(isServiceId(one.id)).toBe(true);
    const two = addService(one.lab);
    expect(two.lab.services!.map((s) => `${s.name} ${s.clusterIP}`)).toEqual(['svc 10.96.0.10', 'svc-2 10.96.0.11']);
    const both = toggleEndpoint(one.lab, 'svc', 'b');
    expect(both.services![0]!.endpoints).toEqual([{ node: 'a' }, { node: 'b' }]);
    expect(toggleEndpoint(both, 'svc', 'a').services![0]!.endpoints).toEqual([{ node: 'b' }]);
    expect(parseLabText(JSON.stringify(both)).problems).toEqual([]);
    expect(endpointCandidates(lab)).toEqual(['node1', 'a', 'b']);
  });

  it('deletes a Service by id, and a deleted node leaves the endpoints', () => {
    const { lab: withSvc } = addService(lab, ['a', 'b']);
    expect(pruneServices(withSvc, ['service:svc']).services).toBeUndefined();
    const noA = removeNodes(withSvc, ['a']);
    expect(noA.services![0]!.endpoints).toEqual([{ node: 'b' }]);
  });
});

describe('services on the canvas', () => {
  it('draws a Service as its own node with an edge to each endpoint', async () => {
    const { toFlow } = await import('./graph');
    const { lab: withSvc } = addService(lab, ['a', 'b']);
    const g = toFlow({
      lab: withSvc,
      positions: {},
      selected: { nodes: ['service:svc'], links: [] },
      problemPaths: [],
    });
    expect(g.services.map((n) => [n.id, n.type, n.selected, n.data.service.clusterIP])).toEqual([
      ['service:svc', 'service', true, '10.96.0.10'],
    ]);
    expect(g.edges.filter((e) => e.type === 'serviceEndpoint').map((e) => `${e.source}>${e.target}`)).toEqual([
      'service:svc>a',
      'service:svc>b',
    ]);
    expect(g.nodes.some((n) => n.id === 'service:svc')).toBe(false);
  });
});
