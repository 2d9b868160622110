import { describe, it, expect } from 'vitest';
import {
  judgeCommand,
  judgeFdb,
  judgeInterface,
  judgeNeighbor,
  judgePing,
  judgeRoute,
  judgeSysctl,
  judgeTcp,
  type InterfaceFacts,
} from './assert.js';
import { deviceName } from '@patchbay/topology';
import type {
  CommandCheck,
  FdbCheck,
  InterfaceCheck,
  NeighborCheck,
  PingCheck,
  RouteCheck,
  SysctlCheck,
  TcpCheck,
} from './model.js';

const id = { id: 'c1', title: 'The check' };
const MAC_DB = '0a:00:00:00:00:01';
const MAC_WEB = '0a:00:00:00:00:02';

describe('judgePing', () => {
  const ping: PingCheck = { ...id, type: 'ping', from: 'ns-web', to: '192.168.100.20' };
  const isolated: PingCheck = { ...ping, expect: 'fail' };
  it('passes with a reply', () => {
    expect(judgePing(ping, { sent: 2, received: 1 })).toEqual({
      ...id,
      pass: true,
      reason: 'ns-web reaches 192.168.100.20',
      seen: 'ping: 2 sent, 1 received',
    });
  });
  it('fails without one, showing ping’s error', () => {
    expect(judgePing(ping, { sent: 2, received: 0 })).toMatchObject({
      pass: false,
      reason: 'ns-web gets no reply from 192.168.100.20',
      seen: 'ping: 2 sent, 0 received',
    });
    expect(judgePing(ping, { sent: 0, received: 0, error: 'connect: Network is unreachable' }).seen).toBe(
      'ping: 0 sent, 0 received (connect: Network is unreachable)',
    );
  });
  it('expect: fail passes without a reply and fails with one', () => {
    expect(judgePing(isolated, { sent: 2, received: 0 })).toMatchObject({
      pass: true,
      reason: 'ns-web cannot reach 192.168.100.20, as expected',
    });
    expect(judgePing(isolated, { sent: 2, received: 2 })).toMatchObject({
      pass: false,
      reason: 'ns-web reaches 192.168.100.20, but it should not',
    });
  });
});

describe('judgeTcp', () => {
  const tcp: TcpCheck = { ...id, type: 'tcp', from: 'ns-web', to: '192.168.100.20', port: 5432 };
  it('passes when connected', () => {
    expect(judgeTcp(tcp, { connected: true })).toMatchObject({
      pass: true,
      reason: 'ns-web connects to 192.168.100.20:5432',
      seen: 'tcp: connected',
    });
  });
  it('fails with the error', () => {
    expect(judgeTcp(tcp, { connected: false, error: 'Connection refused' })).toMatchObject({
      pass: false,
      reason: 'ns-web cannot connect to 192.168.100.20:5432',
      seen: 'tcp: Connection refused',
    });
    expect(judgeTcp(tcp, { connected: false }).seen).toBe('tcp: not connected');
  });
});

describe('judgeInterface', () => {
  const check: InterfaceCheck = {
    ...id,
    type: 'interface',
    node: 'br0',
    interface: 'veth-db-br',
    up: true,
    mtu: 1500,
    addresses: [],
    master: 'br0',
  };
  const good: InterfaceFacts = { exists: true, up: true, mtu: 1500, addresses: [], master: 'br0' };
  it('passes when everything matches', () => {
    expect(judgeInterface(check, good)).toEqual({
      ...id,
      pass: true,
      reason: 'veth-db-br in br0 is as expected',
      seen: 'veth-db-br: UP, mtu 1500, no addresses, master br0',
    });
  });
  it('a long bridge name matches its kernel device name', () => {
    const long = 'bridge-with-long-name';
    expect(judgeInterface({ ...check, master: long }, { ...good, master: deviceName(long) }).pass).toBe(true);
    expect(judgeInterface({ ...check, master: long }, { ...good, master: long }).pass).toBe(true);
  });
  it('fails when missing', () => {
    const r = judgeInterface(check, undefined);
    expect(r).toMatchObject({
      pass: false,
      reason: 'veth-db-br does not exist in br0',
      seen: 'br0: no interface veth-db-br',
    });
    expect(judgeInterface(check, { ...good, exists: false }).reason).toBe('veth-db-br does not exist in br0');
  });
  it('reports the first mismatch precisely', () => {
    expect(judgeInterface(check, { ...good, up: false, mtu: 9000 })).toMatchObject({
      pass: false,
      reason: 'veth-db-br is DOWN, expected UP',
      seen: 'veth-db-br: DOWN, mtu 9000, no addresses, master br0',
    });
    expect(judgeInterface({ ...check, up: false }, good).reason).toBe('veth-db-br is UP, expected DOWN');
    expect(judgeInterface(check, { ...good, mtu: 1450 }).reason).toBe('veth-db-br has MTU 1450, expected 1500');
    expect(judgeInterface({ ...check, addresses: ['10.0.0.1/24'] }, good).reason).toBe(
      'veth-db-br lacks address 10.0.0.1/24',
    );
    expect(judgeInterface(check, { ...good, addresses: ['10.0.0.2/24'] }).reason).toBe(
      'veth-db-br has unexpected address 10.0.0.2/24',
    );
    expect(judgeInterface(check, { ...good, master: 'br1' }).reason).toBe(
      'veth-db-br is attached to br1, expected br0',
    );
    expect(judgeInterface(check, { ...good, master: null }).reason).toBe(
      'veth-db-br is attached to no bridge, expected br0',
    );
  });
  it('ignores fields the check does not give', () => {
    expect(
      judgeInterface(
        { ...id, type: 'interface', node: 'ns-db', interface: 'veth-db' },
        { ...good, up: false, mtu: 9000, master: null },
      ).pass,
    ).toBe(true);
  });
});

describe('judgeRoute', () => {
  const check: RouteCheck = {
    ...id,
    type: 'route',
    node: 'ns-web',
    to: 'default',
    via: '192.168.100.1',
    dev: 'veth-web',
  };
  const routes = [
    { to: '192.168.100.0/24', dev: 'veth-web' },
    { to: 'default', via: '192.168.100.1', dev: 'veth-web' },
  ];
  const seen = 'routes: 192.168.100.0/24 dev veth-web; default via 192.168.100.1 dev veth-web';
  it('passes when a matching route exists (0.0.0.0/0 is default)', () => {
    expect(judgeRoute(check, { routes })).toEqual({
      ...id,
      pass: true,
      reason: 'ns-web has a route: default via 192.168.100.1 dev veth-web',
      seen,
    });
    expect(judgeRoute(check, { routes: [{ to: '0.0.0.0/0', via: '192.168.100.1', dev: 'veth-web' }] }).pass).toBe(true);
    expect(judgeRoute({ ...id, type: 'route', node: 'ns-web', to: '192.168.100.0/24' }, { routes }).pass).toBe(true);
  });
  it('fails without a route', () => {
    expect(judgeRoute(check, { routes: [] })).toMatchObject({
      pass: false,
      reason: 'ns-web has no route to default',
      seen: 'routes: none',
    });
  });
  it('fails on the wrong gateway or device', () => {
    expect(judgeRoute(check, { routes: [{ to: 'default', via: '192.168.100.254', dev: 'veth-web' }] }).reason).toBe(
      'route to default goes via 192.168.100.254, expected via 192.168.100.1',
    );
    expect(judgeRoute(check, { routes: [{ to: 'default', dev: 'veth-web' }] }).reason).toBe(
      'route to default has no gateway, expected via 192.168.100.1',
    );
    expect(judgeRoute(check, { routes: [{ to: 'default', via: '192.168.100.1', dev: 'eth9' }] }).reason).toBe(
      'route to default leaves by eth9, expected dev veth-web',
    );
  });
});

describe('judgeFdb', () => {
  const check: FdbCheck = {
    ...id,
    type: 'fdb',
    bridge: 'br0',
    mac: { node: 'ns-db', interface: 'veth-db' },
    port: 'veth-db-br',
  };
  const entries = [
    { mac: MAC_WEB, port: 'veth-web-br' },
    { mac: MAC_DB.toUpperCase(), port: 'veth-db-br' },
  ];
  it('passes when learned on the port', () => {
    expect(judgeFdb(check, { entries }, MAC_DB)).toEqual({
      ...id,
      pass: true,
      reason: `fdb br0: ${MAC_DB} learned on veth-db-br`,
      seen: `fdb br0: ${MAC_WEB} on veth-web-br, ${MAC_DB} on veth-db-br`,
    });
    expect(judgeFdb({ ...check, port: undefined }, { entries }, MAC_DB).pass).toBe(true);
  });
  it('fails with no entry, the wrong port, or an unknown MAC', () => {
    expect(judgeFdb(check, { entries: [] }, MAC_DB)).toMatchObject({
      pass: false,
      reason: `fdb br0: no entry for ${MAC_DB}`,
      seen: 'fdb br0: no learned entries',
    });
    expect(judgeFdb(check, { entries: [{ mac: MAC_DB, port: 'veth-web-br' }] }, MAC_DB).reason).toBe(
      `fdb br0: ${MAC_DB} is on veth-web-br, expected veth-db-br`,
    );
    expect(judgeFdb(check, { entries }, undefined).reason).toBe(
      'ns-db has no interface veth-db, so its MAC is unknown',
    );
  });
});

describe('judgeNeighbor', () => {
  const check: NeighborCheck = {
    ...id,
    type: 'neighbor',
    node: 'ns-web',
    ip: '192.168.100.20',
    mac: { node: 'ns-db', interface: 'veth-db' },
  };
  it('passes when ip maps to the MAC', () => {
    expect(
      judgeNeighbor(check, { entries: [{ ip: '192.168.100.20', mac: MAC_DB, state: 'REACHABLE' }] }, MAC_DB),
    ).toEqual({
      ...id,
      pass: true,
      reason: `ns-web maps 192.168.100.20 to ${MAC_DB}`,
      seen: `neigh 192.168.100.20: ${MAC_DB} REACHABLE`,
    });
  });
  it('fails with no entry, an unresolved entry, the wrong MAC, or an unknown MAC', () => {
    expect(judgeNeighbor(check, { entries: [] }, MAC_DB)).toMatchObject({
      pass: false,
      reason: 'ns-web has no neighbour entry for 192.168.100.20',
      seen: 'neigh 192.168.100.20: no entry',
    });
    expect(judgeNeighbor(check, { entries: [{ ip: '192.168.100.20', state: 'INCOMPLETE' }] }, MAC_DB)).toMatchObject({
      reason: 'ns-web has not resolved 192.168.100.20 (INCOMPLETE)',
      seen: 'neigh 192.168.100.20: no MAC INCOMPLETE',
    });
    expect(judgeNeighbor(check, { entries: [{ ip: '192.168.100.20', mac: MAC_WEB }] }, MAC_DB).reason).toBe(
      `ns-web maps 192.168.100.20 to ${MAC_WEB}, expected ${MAC_DB}`,
    );
    expect(judgeNeighbor(check, { entries: [] }, undefined).reason).toBe(
      'ns-db has no interface veth-db, so its MAC is unknown',
    );
  });
});

describe('judgeSysctl', () => {
  const check: SysctlCheck = { ...id, type: 'sysctl', node: 'router', key: 'net.ipv4.ip_forward', value: 1 };
  it('passes when equal as text', () => {
    expect(judgeSysctl(check, { value: '1\n' })).toEqual({
      ...id,
      pass: true,
      reason: 'router: net.ipv4.ip_forward is 1',
      seen: 'net.ipv4.ip_forward = 1',
    });
    expect(
      judgeSysctl(
        { ...check, key: 'net.ipv4.tcp_rmem', value: '4096 131072 6291456' },
        { value: '4096\t131072\t6291456' },
      ).pass,
    ).toBe(true);
  });
  it('fails on another value or a missing key', () => {
    expect(judgeSysctl(check, { value: '0' })).toMatchObject({
      pass: false,
      reason: 'router: net.ipv4.ip_forward is 0, expected 1',
      seen: 'net.ipv4.ip_forward = 0',
    });
    expect(judgeSysctl(check, { value: undefined })).toMatchObject({
      pass: false,
      reason: 'router: net.ipv4.ip_forward does not exist',
      seen: 'net.ipv4.ip_forward: no such key',
    });
  });
});

describe('judgeCommand', () => {
  const check: CommandCheck = {
    ...id,
    type: 'command',
    node: 'ns-web',
    run: 'ip route',
    match: '^default via 192\\.168\\.100\\.1',
  };
  const stdout = '192.168.100.0/24 dev veth-web proto kernel\ndefault via 192.168.100.1 dev veth-web\n';
  it('passes on exit 0 with matching output', () => {
    expect(judgeCommand(check, { code: 0, stdout })).toEqual({
      ...id,
      pass: true,
      reason: '`ip route` succeeded in ns-web',
      seen: 'exit 0; output: 192.168.100.0/24 dev veth-web proto kernel default via 192.168.100.1 dev veth-web',
    });
    expect(judgeCommand({ ...check, match: undefined }, { code: 0, stdout: '' })).toMatchObject({
      pass: true,
      seen: 'exit 0; output: (none)',
    });
  });
  it('fails on a non-zero exit or output that does not match', () => {
    expect(judgeCommand(check, { code: 2, stdout: '' })).toMatchObject({
      pass: false,
      reason: '`ip route` exited with 2 in ns-web',
      seen: 'exit 2; output: (none)',
    });
    expect(judgeCommand(check, { code: 0, stdout: 'default via 10.0.0.1\n' }).reason).toBe(
      'output of `ip route` does not match /^default via 192\\.168\\.100\\.1/',
    );
    expect(judgeCommand({ ...check, match: '(' }, { code: 0, stdout }).reason).toBe(
      'match /(/ is not a valid regular expression',
    );
  });
  it('truncates long output in seen', () => {
    expect(judgeCommand({ ...check, match: undefined }, { code: 0, stdout: 'x'.repeat(300) }).seen).toBe(
      `exit 0; output: ${'x'.repeat(200)}…`,
    );
  });
});
