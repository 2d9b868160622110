import type { CniView, Lab } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { cniStateText, newCniAttachment, parseCniRoutes, withCniPlugin } from './cni-edit';

const lab: Lab = {
  name: 'k',
  nodes: { node1: { kind: 'host' }, lan: { kind: 'netns' }, pod: { kind: 'netns' } },
  links: [{ a: { node: 'node1', interface: 'eth1' }, b: { node: 'lan', interface: 'eth0' } }],
};

describe('CNI attachments in the inspector', () => {
  it('a new attachment runs the bridge plugin on a host, on a free interface; none without a host', () => {
    expect(newCniAttachment(lab, 'pod')).toEqual({
      host: 'node1',
      interface: 'eth0',
      plugin: 'bridge',
      network: 'podnet',
      subnet: '10.22.0.0/24',
      routes: ['0.0.0.0/0'],
    });
    expect(newCniAttachment(lab, 'lan')?.interface).toBe('eth1'); // eth0 is its link's
    expect(newCniAttachment({ ...lab, nodes: { pod: { kind: 'netns' } } }, 'pod')).toBeUndefined();
  });
  it('a second pod joins the network a pod already has on that host', () => {
    const withA: Lab = {
      ...lab,
      nodes: {
        ...lab.nodes,
        a: {
          kind: 'netns',
          cni: [{ host: 'node1', interface: 'eth0', plugin: 'bridge', network: 'blue', subnet: '10.5.0.0/16' }],
        },
      },
    };
    expect(newCniAttachment(withA, 'pod')).toMatchObject({ network: 'blue', subnet: '10.5.0.0/16', interface: 'eth0' });
  });
  it("switching the plugin keeps only that plugin's fields; macvlan gets a master", () => {
    const bridge = { ...newCniAttachment(lab, 'pod')!, bridge: 'cni9', isGateway: false };
    expect(withCniPlugin(lab, bridge, 'macvlan')).toMatchObject({ plugin: 'macvlan', master: 'eth1' });
    expect(withCniPlugin(lab, bridge, 'macvlan')).not.toHaveProperty('bridge');
    expect(withCniPlugin(lab, { ...bridge, plugin: 'macvlan', master: 'eth1' }, 'ptp')).not.toHaveProperty('master');
  });
  it('routes as typed', () => {
    expect(parseCniRoutes('0.0.0.0/0, 10.0.0.0/8')).toEqual(['0.0.0.0/0', '10.0.0.0/8']);
    expect(parseCniRoutes(' ')).toBeUndefined();
  });
  it('the state in words: pending, or the address the plugin returned and the CHECK', () => {
    const base: CniView = {
      interface: 'eth0',
      host: 'node1',
      plugin: 'bridge',
      network: 'podnet',
      state: 'pending',
      config: { cniVersion: '1.0.0', name: 'podnet', type: 'bridge' },
      env: {},
    };
    expect(cniStateText(base)).toBe('not attached yet: apply the lab');
    expect(
      cniStateText({
        ...base,
        state: 'attached',
        result: { ips: [{ address: '10.22.0.2/24', gateway: '10.22.0.1' }] },
        check: { ok: true },
      }),
    ).toBe('attached by bridge on node1: 10.22.0.2/24 via 10.22.0.1 · CHECK ok');
  });
});
