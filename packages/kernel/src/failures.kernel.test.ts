import { afterEach, describe, expect, it } from 'vitest';
import { executePlan, listNamespaces, observeNamespaces, rollback } from './index.js';
import { cleanup, ip, isRoot, netnsAdd, op } from '../test/helpers.js';

const P = 'pbk2-';
const X = `${P}lab.x`;
const Y = `${P}lab.y`;

describe.skipIf(!isRoot)('failures and rollback on the real kernel', () => {
  afterEach(() => cleanup(P));

  it('a failing batch line: earlier lines done, the failing one reported, later ones not run', async () => {
    const add = netnsAdd(X);
    const br0 = ip('link', X, 'link add br0 type bridge', [ip('unlink', X, 'link del br0')]);
    const bogus = ip('link', X, 'link add x type bogus', [ip('unlink', X, 'link del x')]);
    const br1 = ip('link', X, 'link add br1 type bridge', [ip('unlink', X, 'link del br1')]);
    const later = ip('configure', X, 'link set br0 up');
    const result = await executePlan([add, br0, bogus, br1, later]);
    expect(result.ok).toBe(false);
    expect(result.done).toEqual([add, br0]);
    expect(result.failed).toEqual({ op: bogus, error: 'Error: Unknown device type.' });

    const state = await observeNamespaces([X]);
    expect(Object.keys(state.namespaces[X]!.links).sort()).toEqual(['br0', 'lo']);
    expect(state.namespaces[X]!.links['br0']!.up).toBe(false); // next phase never started

    const rb = await rollback(result.done);
    expect(rb).toMatchObject({ ok: true, errors: [] });
    expect(rb.done.map((o) => o.args.join(' '))).toEqual(['link del br0', `netns del ${X}`]);
    expect(await listNamespaces(P)).toEqual([]);
  });

  it('lets the other groups of a failing phase finish, then stops', async () => {
    const okLink = ip('link', X, 'link add br0 type bridge');
    const badLink = ip('link', Y, 'link add eth0 type veth peer name p0 netns pbk2-lab.nowhere');
    const result = await executePlan([netnsAdd(X), netnsAdd(Y), okLink, badLink, ip('configure', X, 'link set br0 up')]);
    expect(result.ok).toBe(false);
    expect(result.failed?.op).toBe(badLink);
    expect(result.failed?.error).toMatch(/nowhere|Invalid|not found|No such/i);
    expect(result.done).toContain(okLink);
    expect(result.done).toHaveLength(3);
    const state = await observeNamespaces([X, Y]);
    expect(state.namespaces[X]!.links['br0']!.up).toBe(false);
  });

  it('reports which sysctl key failed and counts the others as done', async () => {
    const good = op('sysctl', 'sysctl', X, ['net.ipv4.ip_forward=1'], [op('sysctl', 'sysctl', X, ['net.ipv4.ip_forward=0'])]);
    const bad = op('sysctl', 'sysctl', X, ['net.ipv4.conf.nope.proxy_arp=1']);
    const result = await executePlan([netnsAdd(X), bad, good]);
    expect(result.ok).toBe(false);
    expect(result.failed?.op).toBe(bad);
    expect(result.failed?.error).toMatch(/nope.*No such file/);
    expect(result.done).toContain(good);
    expect((await observeNamespaces([X])).namespaces[X]!.sysctls['net.ipv4.ip_forward']).toBe('1');
    const rb = await rollback(result.done);
    expect(rb.ok).toBe(true);
  });

  it('reports an iptables-restore failure', async () => {
    const bad = op('iptables', 'iptables', X, [], [], '*nat\n:PREROUTING ACCEPT [0:0]\n-A BOGUS -j MASQUERADE\nCOMMIT\n');
    const result = await executePlan([netnsAdd(X), bad]);
    expect(result.failed?.op).toBe(bad);
    expect(result.failed?.error).toMatch(/line 3 failed/);
  });

  it('rollback continues past failures and treats "already gone" as success', async () => {
    await executePlan([netnsAdd(X)]);
    const undoGone = [
      ip('unroute', X, 'route del 10.9.9.0/24'),
      ip('unlink', X, 'link del nothere'),
      ip('unaddress', X, 'addr del 10.1.1.1/24 dev lo'),
    ];
    const undoFails = ip('unlink', X, 'link add lo type bridge');
    const removeNs = op('unnamespace', 'netns', '', ['netns', 'del', X]);
    const alreadyGoneNs = op('unnamespace', 'sysctl', `${P}lab.gone`, ['net.ipv4.ip_forward=0']);
    const done = [op('namespace', 'netns', '', ['netns', 'add', X], [removeNs]), op('link', 'ip', X, ['link', 'set', 'lo', 'up'], [...undoGone, undoFails, alreadyGoneNs])];
    const rb = await rollback(done);
    expect(rb.ok).toBe(false);
    expect(rb.errors).toEqual([{ op: undoFails, error: 'RTNETLINK answers: File exists' }]);
    expect(rb.done).toEqual([...undoGone, alreadyGoneNs, removeNs]);
    expect(await listNamespaces(P)).toEqual([]);
  });

  it('throws before running anything when an op is unsafe', async () => {
    await expect(executePlan([netnsAdd(X), ip('link', X, 'link add br0 type bridge'), { ...ip('link', X, 'x'), args: ['link', 'set', 'a b'] }])).rejects.toThrow(
      /unsafe/,
    );
    expect(await listNamespaces(P)).toEqual([]);
  });
});
