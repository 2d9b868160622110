import { describe, expect, it } from 'vitest';
import { bridgeEbtables } from './ebtables-view.js';

// A host with two bridges: br0 (ports veth-a, veth-b) and br1 (port veth-c), as ebtables-save prints it.
const TABLE = {
  filter: [
    ':INPUT ACCEPT',
    ':FORWARD ACCEPT',
    ':OUTPUT ACCEPT',
    ':PB-veth-a RETURN',
    ':PB-veth-c RETURN',
    ':UNUSED RETURN',
    '-A INPUT -i veth-a -j PB-veth-a',
    '-A FORWARD -i veth-a -j PB-veth-a',
    '-A FORWARD -i veth-c -j PB-veth-c',
    '-A FORWARD -p IPv6 -j DROP',
    '-A FORWARD --logical-in br1 -j DROP',
    '-A FORWARD -i ! veth-c -s 02:00:00:00:00:09 -j DROP',
    '-A PB-veth-a -s ! 2:42:ac:11:0:2 -j DROP',
    '-A PB-veth-c -s ! 2:42:ac:11:0:4 -j DROP',
    '-A UNUSED -j DROP',
  ],
};

describe('bridgeEbtables', () => {
  it("keeps a bridge's ports' rules, rules for every bridge, and the chains they jump to", () => {
    expect(bridgeEbtables(TABLE, 'br0', ['veth-a', 'veth-b'])?.filter).toEqual([
      ':INPUT ACCEPT',
      ':FORWARD ACCEPT',
      ':OUTPUT ACCEPT',
      ':PB-veth-a RETURN',
      '-A INPUT -i veth-a -j PB-veth-a',
      '-A FORWARD -i veth-a -j PB-veth-a',
      '-A FORWARD -p IPv6 -j DROP',
      '-A FORWARD -i ! veth-c -s 02:00:00:00:00:09 -j DROP',
      '-A PB-veth-a -s ! 2:42:ac:11:0:2 -j DROP',
    ]);
    expect(bridgeEbtables(TABLE, 'br1', ['veth-c'])?.filter).toEqual([
      ':INPUT ACCEPT',
      ':FORWARD ACCEPT',
      ':OUTPUT ACCEPT',
      ':PB-veth-c RETURN',
      '-A FORWARD -i veth-c -j PB-veth-c',
      '-A FORWARD -p IPv6 -j DROP',
      '-A FORWARD --logical-in br1 -j DROP',
      '-A FORWARD -i ! veth-c -s 02:00:00:00:00:09 -j DROP',
      '-A PB-veth-c -s ! 2:42:ac:11:0:4 -j DROP',
    ]);
  });
  it('is undefined for an empty table, but shows a DROP policy with no rule', () => {
    expect(bridgeEbtables({ filter: [':INPUT ACCEPT', ':FORWARD ACCEPT', ':OUTPUT ACCEPT'] }, 'br0', [])).toBe(
      undefined,
    );
    expect(bridgeEbtables({ filter: [':INPUT ACCEPT', ':FORWARD DROP', ':OUTPUT ACCEPT'] }, 'br0', [])?.filter).toEqual(
      [':INPUT ACCEPT', ':FORWARD DROP', ':OUTPUT ACCEPT'],
    );
  });
});
