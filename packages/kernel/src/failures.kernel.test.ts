import { afterEach, describe, expect, it } from 'vitest';
import { executePlan, listNamespaces, observeNamespaces } from './index.js';
import { cleanup, ip, isRoot, netnsAdd, op } from '../test/helpers.js';

const P = 'pbk2-';
const X = `${P}lab.x`;
const Y = `${P}lab.y`;

describe.skipIf(!isRoot)('failures on the real kernel', () => {
  afterEach(() => cleanup(P));

  it('a failing batch line: earlier lines done, the failing one reported, later ones not run', async () => {
    const add = netnsAdd(X);
    const br0 = ip('link', X, 'link add br0 type bridge');
    const bogus = ip('link', X, 'link add x type bogus');
    const br1 = ip('link', X, 'link add br1 type bridge');
    const later = ip('configure', X, 'link set br0 up');
    const result = await executePlan([add, br0, bogus, br1, later]);
    expect(result.ok).toBe(false);
    expect(result.done).toEqual([add, br0]);
    expect(result.failed).toEqual({ op: bogus, error: 'Error: Unknown device type.' });

    const state = await observeNamespaces([X]);
    expect(Object.keys(state.namespaces[X]!.links).sort()).toEqual(['br0', 'lo']);
    expect(state.namespaces[X]!.links['br0']!.up).toBe(false); // next phase never started
  });

  it('lets the other groups of a failing phase finish, then stops', async () => {
    const okLink = ip('link', X, 'link add br0 type bridge');
    const badLink = ip('link', Y, 'link add eth0 type veth peer name p0 netns pbk2-lab.nowhere');
    const result = await executePlan([
      netnsAdd(X),
      netnsAdd(Y),
      okLink,
      badLink,
      ip('configure', X, 'link set br0 up'),
    ]);
    expect(result.ok).toBe(false);
    expect(result.failed?.op).toBe(badLink);
    expect(result.failed?.error).toMatch(/nowhere|Invalid|not found|No such/i);
    expect(result.done).toContain(okLink);
    expect(result.done).toHaveLength(3);
    const state = await observeNamespaces([X, Y]);
    expect(state.namespaces[X]!.links['br0']!.up).toBe(false);
  });

  it('reports which sysctl key failed and counts the others as done', async () => {
    const good = op('sysctl', 'sysctl', X, ['net.ipv4.ip_forward=1']);
    const bad = op('sysctl', 'sysctl', X, ['net.ipv4.conf.nope.proxy_arp=1']);
    const result = await executePlan([netnsAdd(X), bad, good]);
    expect(result.ok).toBe(false);
    expect(result.failed?.op).toBe(bad);
    expect(result.failed?.error).toMatch(/nope.*No such file/);
    expect(result.done).toContain(good);
    expect((await observeNamespaces([X])).namespaces[X]!.sysctls['net.ipv4.ip_forward']).toBe('1');
  });

  it('reports an iptables-restore failure', async () => {
    const bad = op('iptables', 'iptables', X, [], '*nat\n:PREROUTING ACCEPT [0:0]\n-A BOGUS -j MASQUERADE\nCOMMIT\n');
    const result = await executePlan([netnsAdd(X), bad]);
    expect(result.failed?.op).toBe(bad);
    expect(result.failed?.error).toMatch(/line 3 failed/);
  });

  it('throws before running anything when an op is unsafe', async () => {
    await expect(
      executePlan([
        netnsAdd(X),
        ip('link', X, 'link add br0 type bridge'),
        { ...ip('link', X, 'x'), args: ['link', 'set', 'a b'] },
      ]),
    ).rejects.toThrow(/unsafe/);
    expect(await listNamespaces(P)).toEqual([]);
  });
});
