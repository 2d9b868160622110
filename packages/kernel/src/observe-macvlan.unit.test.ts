// How iproute2 6.1's JSON of a macvlan and of a bridge port (as this machine prints them) becomes
// LinkState: the mode and the parent's ifindex; the port flags from info_slave_data.
import { describe, expect, it } from 'vitest';
import { namespaceFromJson } from './observe.js';

const macvlan = {
  ifindex: 2,
  link_index: 1000000,
  ifname: 'eth0',
  flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
  mtu: 1500,
  address: '4e:40:50:ed:8f:d6',
  link_netnsid: 0,
  inet6_addr_gen_mode: 'none',
  linkinfo: { info_kind: 'macvlan', info_data: { mode: 'private', bcqueuelen: 1000, usedbcqueuelen: 1000 } },
};
const port = {
  ifindex: 3,
  link_index: 2000000,
  ifname: 'pa',
  flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
  mtu: 1500,
  master: 'br0',
  link_netnsid: 1,
  linkinfo: {
    info_kind: 'veth',
    info_slave_kind: 'bridge',
    info_slave_data: {
      state: 'forwarding',
      hairpin: true,
      learning: false,
      flood: true,
      isolated: true,
      locked: false,
    },
  },
};

describe('observing macvlans and bridge ports', () => {
  it('reads the mode and parent of a macvlan, and the flags of a port', () => {
    const state = namespaceFromJson('pbmv-x.c1', [[macvlan, port], [], [], [], []]);
    expect(state.links.eth0).toMatchObject({
      kind: 'macvlan',
      up: true,
      macvlan: { mode: 'private', parentIfindex: 1000000, parentElsewhere: true },
    });
    expect(state.links.eth0!.port).toBeUndefined();
    expect(state.links.pa!.port).toEqual({ hairpin: true, learning: false, flood: true, isolated: true });
  });

  it('reads the parent of a macvlan in its parent namespace by name (iproute2 prints no ifindex then)', () => {
    const parent = { ifindex: 2, ifname: 'eth0', flags: ['UP'], mtu: 1500, linkinfo: { info_kind: 'veth' } };
    const shim = {
      ifindex: 7,
      ifname: 'shim',
      link: 'eth0',
      flags: ['UP'],
      mtu: 1500,
      linkinfo: { info_kind: 'macvlan', info_data: { mode: 'bridge' } },
    };
    const state = namespaceFromJson('pbmv-x.host', [[parent, shim], [], [], [], []]);
    expect(state.links.shim!.macvlan).toEqual({ mode: 'bridge', parentIfindex: 2, parentElsewhere: false });
  });
});
