import { describe, expect, it } from 'vitest';
import { routeGroups, routeText, ruleText } from './route-text.js';
import type { RouteView } from './views.js';

describe('routeText', () => {
  it('prints a connected route as ip does, with protocol, scope and source', () => {
    expect(
      routeText({
        to: '172.17.0.0/16',
        dev: 'eth0',
        table: 'main',
        type: 'unicast',
        protocol: 'kernel',
        scope: 'link',
        src: '172.17.0.2',
      }),
    ).toBe('172.17.0.0/16 dev eth0 proto kernel scope link src 172.17.0.2');
  });
  it('names the type of a route that is not unicast, and a table that is not main', () => {
    expect(routeText({ to: '10.50.0.0/16', table: 'main', type: 'blackhole', protocol: 'boot', scope: 'global' })).toBe(
      'blackhole 10.50.0.0/16',
    );
    expect(
      routeText({
        to: '10.9.0.2/32',
        dev: 'd0',
        table: 'local',
        type: 'local',
        protocol: 'kernel',
        scope: 'host',
        src: '10.9.0.2',
      }),
    ).toBe('local 10.9.0.2/32 dev d0 table local proto kernel scope host src 10.9.0.2');
    expect(routeText({ to: 'default', via: '10.0.0.1', dev: 'eth0', flags: ['linkdown'] })).toBe(
      'default via 10.0.0.1 dev eth0 linkdown',
    );
  });
});

describe('ruleText', () => {
  it('prints rules as ip rule does', () => {
    expect(ruleText({ priority: 0, from: 'all', action: 'lookup', table: 'local' })).toBe('0: from all lookup local');
    expect(ruleText({ priority: 99, from: 'all', to: '10.70.0.0/16', action: 'prohibit' })).toBe(
      '99: from all to 10.70.0.0/16 prohibit',
    );
    expect(
      ruleText({
        priority: 5,
        not: true,
        from: '10.1.0.0/16',
        fwmark: '0x1/0xff',
        iif: 'eth0',
        action: 'lookup',
        table: '100',
      }),
    ).toBe('5: not from 10.1.0.0/16 fwmark 0x1/0xff iif eth0 lookup 100');
  });
});

describe('routeGroups', () => {
  it('groups routes by table in the order given, the local table folded', () => {
    const routes: RouteView[] = [
      { to: 'default', via: '10.0.0.1', dev: 'eth0' },
      { to: '10.0.0.0/24', dev: 'eth0', table: 'main', protocol: 'kernel' },
      { to: '10.60.0.0/16', via: '10.0.0.1', table: '100' },
      { to: '10.0.0.2/32', dev: 'eth0', table: 'local', type: 'local' },
    ];
    expect(routeGroups(routes).map((g) => [g.table, g.routes.length, g.folded])).toEqual([
      ['main', 2, false],
      ['100', 1, false],
      ['local', 1, true],
    ]);
  });
});
