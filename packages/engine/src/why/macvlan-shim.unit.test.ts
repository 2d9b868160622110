// A macvlan made by hand in its parent's own namespace (the host's shim of macvlan-host-shim) is in
// no lab file: the walk finds its parent by the ifindex the kernel gives, and only in that namespace.
import type { LinkState, NamespaceState } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { observedMacvlanParent } from './macvlan.js';

const link = (name: string, ifindex: number, more: Partial<LinkState> = {}): LinkState => ({
  name,
  kind: 'veth',
  up: true,
  addresses: [],
  ifindex,
  ...more,
});

const host: NamespaceState = {
  name: 'pbmv-x.host',
  node: 'host',
  sysctls: {},
  floods: [],
  links: {
    eth0: link('eth0', 2),
    shim: link('shim', 7, { kind: 'macvlan', macvlan: { mode: 'bridge', parentIfindex: 2, parentElsewhere: false } }),
    // A macvlan moved here from another namespace: its ifindex 2 is the other namespace's.
    away: link('away', 8, { kind: 'macvlan', macvlan: { mode: 'bridge', parentIfindex: 2, parentElsewhere: true } }),
  },
  routes: [],
};

describe('a macvlan made by hand in its parent namespace', () => {
  it('names its parent by the kernel ifindex', () => {
    expect(observedMacvlanParent(host, 'shim')).toBe('eth0');
  });
  it('never guesses for a parent in another namespace, nor for a non-macvlan', () => {
    expect(observedMacvlanParent(host, 'away')).toBeUndefined();
    expect(observedMacvlanParent(host, 'eth0')).toBeUndefined();
    expect(observedMacvlanParent(undefined, 'shim')).toBeUndefined();
  });
});
