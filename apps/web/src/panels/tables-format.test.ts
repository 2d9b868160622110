import { describe, expect, it } from 'vitest';
import { ebtablesChains, fdbCapText, macvlanText, portFlagsText, routeSections } from './tables-format';

describe('fdbCapText', () => {
  it('shows the count against the cap, and says when the table is full', () => {
    expect(fdbCapText({ fdbMaxLearned: 1024, fdbLearned: 3 })).toEqual({ text: 'learned 3 of 1024', full: false });
    expect(fdbCapText({ fdbMaxLearned: 64, fdbLearned: 64 })).toEqual({
      text: 'learned 64 of 64 (full: new MACs are flooded)',
      full: true,
    });
    expect(fdbCapText({ fdbMaxLearned: 0, fdbLearned: 9 })).toEqual({ text: 'learned 9 (no cap)', full: false });
    expect(fdbCapText({})).toBeUndefined();
  });
});

describe('routeSections', () => {
  it('shows connected, blackhole and local routes with their type, protocol, scope and source, by table', () => {
    const sections = routeSections([
      {
        to: 'default',
        via: '172.17.0.1',
        dev: 'eth0',
        table: 'main',
        type: 'unicast',
        protocol: 'boot',
        scope: 'global',
      },
      {
        to: '172.17.0.0/16',
        dev: 'eth0',
        table: 'main',
        type: 'unicast',
        protocol: 'kernel',
        scope: 'link',
        src: '172.17.0.2',
      },
      { to: '10.50.0.0/16', table: 'main', type: 'blackhole', protocol: 'boot', scope: 'global' },
      {
        to: '172.17.0.2/32',
        dev: 'eth0',
        table: 'local',
        type: 'local',
        protocol: 'kernel',
        scope: 'host',
        src: '172.17.0.2',
      },
    ]);
    expect(sections.map((s) => [s.table, s.folded])).toEqual([
      ['main', false],
      ['local', true],
    ]);
    expect(sections[0]!.rows.map((r) => r.cells)).toEqual([
      ['unicast', 'default', '172.17.0.1', 'eth0', 'boot', 'global', ''],
      ['unicast', '172.17.0.0/16', '', 'eth0', 'kernel', 'link', '172.17.0.2'],
      ['blackhole', '10.50.0.0/16', '', '', 'boot', 'global', ''],
    ]);
    expect(sections[0]!.rows.map((r) => r.drops)).toEqual([false, false, true]);
    expect(sections[1]!.title).toMatch(/^table local \(1/);
    expect(sections[1]!.rows[0]!.cells).toEqual(['local', '172.17.0.2/32', '', 'eth0', 'kernel', 'host', '172.17.0.2']);
  });

  it('gives a route listed twice a key of its own', () => {
    const twice = routeSections([
      { to: '10.0.0.0/24', dev: 'a' },
      { to: '10.0.0.0/24', dev: 'a' },
    ]);
    const keys = twice[0]!.rows.map((r) => r.key);
    expect(new Set(keys).size).toBe(2);
  });
});

describe('port flags and macvlans in the interfaces table', () => {
  it('names the flags that differ from a new port, and a macvlan with its mode and parent', () => {
    const port = { hairpin: true, learning: false, flood: true, isolated: false };
    expect(portFlagsText({ port })).toBe('hairpin on, learning off');
    expect(portFlagsText({ port: { hairpin: false, learning: true, flood: true, isolated: false } })).toBe('');
    expect(portFlagsText({})).toBe('');
    expect(macvlanText({ macvlan: { mode: 'private', parent: 'host/eth0' } })).toBe('macvlan private on host:eth0');
    expect(macvlanText({})).toBe('');
  });
});

describe('ebtablesChains', () => {
  it("groups a bridge's ebtables by chain, leaving out empty ACCEPT built-ins", () => {
    expect(
      ebtablesChains({
        filter: [
          ':INPUT ACCEPT',
          ':FORWARD ACCEPT',
          ':OUTPUT ACCEPT',
          ':PB-veth-db RETURN',
          '-A FORWARD -i veth-db -j PB-veth-db',
          '-A PB-veth-db -s ! 02:42:ac:11:00:03 -j DROP',
          '-A PB-veth-db -p IPv4 --ip-src 172.17.0.3 -j RETURN',
        ],
      }),
    ).toEqual([
      { chain: 'FORWARD', policy: 'ACCEPT', rules: ['-i veth-db -j PB-veth-db'] },
      {
        chain: 'PB-veth-db',
        policy: 'RETURN',
        rules: ['-s ! 02:42:ac:11:00:03 -j DROP', '-p IPv4 --ip-src 172.17.0.3 -j RETURN'],
      },
    ]);
    expect(ebtablesChains({ filter: [':INPUT ACCEPT', ':FORWARD DROP', ':OUTPUT ACCEPT'] })).toEqual([
      { chain: 'FORWARD', policy: 'DROP', rules: [] },
    ]);
    expect(ebtablesChains(undefined)).toEqual([]);
  });
});
