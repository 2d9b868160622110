// IPv6 Services, NetworkPolicy and firewall rules on the real kernel (prefix pbds-): the example
// examples/dual-stack-services.yaml writes kube-proxy's chains in ip6tables for the IPv6 ClusterIP
// and Calico-style policy chains in both families. A client reaches both pods through the IPv6
// ClusterIP, a pod the policy does not name is refused in each family, node1 answers IPv6 pings
// from the pods' prefix only (an IPv6 firewall rule), an endpoint removed rewrites only node1's
// ip6tables, the plan and export --script show ip6tables-restore, and destroy leaves nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { execInNamespace, listNamespaces } from '@patchbay/kernel';
import type { Lab } from '@patchbay/topology';
import { labState } from './lab-state.js';
import { lineCounts, pages, serversAnswer } from './http-pages.js';
import { scriptFor } from './lab-export.js';
import { exampleLab, ping, rootSnapshot, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbds-';
const LAB = 'dual-stack-svc';
const ns = (node: string) => `${PREFIX}${LAB}.${node}`;

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
});

const get = (node: string, url: string, count: number) => pages(ns(node), url, count, 1);
const serversUp = () =>
  serversAnswer(
    ns('client'),
    { 'http://[fd00:244::2]:8080/index.html': 'web-a', 'http://[fd00:244::3]:8080/index.html': 'web-b' },
    'the pods never served over IPv6',
  );

describe('IPv6 tables in export --script', () => {
  it("writes node1's IPv6 kube-proxy and policy chains as one ip6tables-restore", () => {
    const script = scriptFor(exampleLab('dual-stack-services.yaml'), PREFIX);
    const start = script.indexOf(`ip netns exec ${ns('node1')} ip6tables-restore --noflush`);
    expect(start).toBeGreaterThanOrEqual(0);
    const restore = script.slice(start, script.indexOf('\nEOF', start));
    expect(restore).toContain('-A KUBE-SERVICES -d fd00:96::20/128 -p tcp');
    expect(restore).toContain('-j DNAT --to-destination [fd00:244::2]:8080');
    expect(restore).toContain('-A cali-tw-veth-web-a -s fd00:244::4/128 -p tcp');
    expect(restore).toContain('-A INPUT -s fd00:244::/64 -p ipv6-icmp -j ACCEPT');
    expect(restore).not.toContain('10.96.0.20'); // the IPv4 Service is iptables'
  });
});

describe('IPv6 Services, policy and firewall on the real kernel', () => {
  it('ClusterIP over both pods, policy in both families, IPv6 firewall, an endpoint removed, destroy', async () => {
    const before = await rootSnapshot();
    t = testEngine(PREFIX);
    const lab = exampleLab('dual-stack-services.yaml');
    const first = await t.engine.apply(lab);
    // What ip6tables-save reads back is what compile wrote.
    expect(first.drift).toEqual([]);
    expect(first.ops.some((o) => o.ns === ns('node1') && o.args[0] === 'ip6tables-restore')).toBe(true);
    await serversUp();

    const viaClusterIP = lineCounts(await get('client', 'http://[fd00:96::20]/index.html', 30));
    expect(Object.keys(viaClusterIP).sort()).toEqual(['web-a', 'web-b']);
    // The IPv4 ClusterIP of the same Service still works (iptables), to the same pods.
    expect(Object.keys(lineCounts(await get('client', 'http://10.96.0.20/index.html', 20))).sort()).toEqual([
      'web-a',
      'web-b',
    ]);

    // The policy admits role: client only, in each family: stranger is dropped by the default deny.
    expect(await get('stranger', 'http://[fd00:96::20]/index.html', 3)).toEqual(['-', '-', '-']);
    expect(await get('stranger', 'http://[fd00:244::2]:8080/index.html', 1)).toEqual(['-']);
    expect(await get('stranger', 'http://10.244.2.2:8080/index.html', 1)).toEqual(['-']);
    const v6 = await execInNamespace(ns('node1'), ['ip6tables-save', '-c', '-t', 'filter'], { stdio: 'pipe' });
    expect(v6.stdout).toMatch(/\[[1-9]\d*:\d+\] -A cali-tw-veth-web-a -m comment --comment "default deny/);

    // The tables view (state) shows node1's ip6tables beside its iptables; an IPv4-only read has none.
    const view = (await labState(t.engine, LAB)).nodes.find((n) => n.node === 'node1')!;
    expect(view.nat6!.nat.some((l) => l.startsWith('-A KUBE-SERVICES -d fd00:96::20/128'))).toBe(true);
    expect(view.nat!.nat.some((l) => l.startsWith('-A KUBE-SERVICES -d 10.96.0.20/32'))).toBe(true);

    // node1's IPv6 firewall (ip6tables INPUT): a ping from the pods' prefix meets the ACCEPT rule.
    expect(await ping(ns('client'), 'fd00:244::1')).toBe(true);
    const input = await execInNamespace(ns('node1'), ['ip6tables-save', '-c', '-t', 'filter'], { stdio: 'pipe' });
    expect(input.stdout).toMatch(/\[[1-9]\d*:\d+\] -A INPUT -s fd00:244::\/64 -p ipv6-icmp -j ACCEPT/);

    // One endpoint goes from the IPv6 Service: only node1's ip6tables are rewritten.
    const fewer: Lab = structuredClone(lab);
    fewer.services![1]!.endpoints = [{ node: 'web-b' }];
    const second = await t.engine.apply(fewer);
    expect(second.drift).toEqual([]);
    expect(second.ops.map((o) => `${o.ns} ${o.args[0]}`)).toEqual([`${ns('node1')} ip6tables-restore`]);
    expect(lineCounts(await get('client', 'http://[fd00:96::20]/index.html', 10))).toEqual({ 'web-b': 10 });
    expect((await t.engine.apply(fewer)).ops).toEqual([]);

    // Without Services, policies and rules, node1's ip6tables go back to the defaults.
    const bare: Lab = structuredClone(lab);
    delete bare.services;
    delete bare.policies;
    delete (bare.nodes.node1 as { firewall?: unknown }).firewall;
    const third = await t.engine.apply(bare);
    expect(third.drift).toEqual([]);
    const empty = await execInNamespace(ns('node1'), ['ip6tables-save'], { stdio: 'pipe' });
    expect(empty.stdout).not.toMatch(/^-A /m);
    expect(await get('stranger', 'http://[fd00:244::2]:8080/index.html', 1)).toEqual(['web-a']);

    await t.engine.destroy(LAB);
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await rootSnapshot()).toBe(before);
  }, 120_000);
});
