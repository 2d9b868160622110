// Kubernetes Services on the real kernel (prefix pbsvc-): the example's ClusterIP spreads a
// client's connections over both pods (kube-proxy's statistic rules), the NodePort answers from
// outside the node, a pod reaches its own Service (hairpin: KUBE-MARK-MASQ), an endpoint removed
// changes the node's nat table and nothing else, and destroy leaves nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { execInNamespace, listNamespaces } from '@patchbay/kernel';
import type { Lab } from '@patchbay/topology';
import { lineCounts, pages, serversAnswer } from './http-pages.js';
import { scriptFor } from './lab-export.js';
import { exampleLab, rootSnapshot, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbsvc-';
const ns = (node: string) => `${PREFIX}k8s-service.${node}`;

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
});

const get = (node: string, url: string, count: number) => pages(ns(node), url, count);
const serversUp = () =>
  serversAnswer(
    ns('client'),
    { 'http://10.244.1.2:8080/index.html': 'web-a', 'http://10.244.1.3:8080/index.html': 'web-b' },
    'the pods never served',
  );

describe('Services in export --script', () => {
  it("writes the node's kube-proxy chains as one iptables-restore", () => {
    const script = scriptFor(exampleLab('kubernetes-service.yaml'), PREFIX);
    const start = script.indexOf(`ip netns exec ${ns('node1')} iptables-restore`);
    expect(start).toBeGreaterThanOrEqual(0);
    const restore = script.slice(start);
    expect(restore).toContain(':KUBE-SERVICES - [0:0]');
    expect(restore).toContain('-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080');
    expect(restore).toContain('-m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-');
  });
});

describe('Services on the real kernel', () => {
  it('ClusterIP over both pods, NodePort, hairpin, an endpoint removed, destroy', async () => {
    const before = await rootSnapshot();
    t = testEngine(PREFIX);
    const lab = exampleLab('kubernetes-service.yaml');
    const first = await t.engine.apply(lab);
    // What iptables-save reads back is what compile wrote: kube-proxy's chains in canonical form.
    expect(first.drift).toEqual([]);
    await serversUp();

    const viaClusterIP = await get('client', 'http://10.96.0.10/index.html', 40);
    const spread = lineCounts(viaClusterIP);
    expect(Object.keys(spread).sort()).toEqual(['web-a', 'web-b']); // every connection answered, by both
    expect(spread['web-a']).toBeGreaterThanOrEqual(5); // 1/2 each: fewer than 5 of 40 is p < 1e-6
    expect(spread['web-b']).toBeGreaterThanOrEqual(5);

    // NodePort: from outside the node, to the node's own address.
    const viaNodePort = lineCounts(await get('outside', 'http://192.168.50.1:30080/index.html', 20));
    expect(Object.keys(viaNodePort).sort()).toEqual(['web-a', 'web-b']);

    // Hairpin: web-a reaching its own Service sometimes lands on itself; KUBE-MARK-MASQ makes the
    // reply come back through the node (without it, web-a would answer itself from 10.244.1.2),
    // and its bridge port's hairpin mode lets the DNATed frame out by the port it came in by.
    const hairpin = lineCounts(await get('web-a', 'http://10.96.0.10/index.html', 20));
    expect(hairpin['-']).toBeUndefined();
    expect(hairpin['web-a']).toBeGreaterThan(0);

    // The kernel counts the statistic rule's matches: the node's nat table carries the chains.
    const save = await execInNamespace(ns('node1'), ['iptables-save', '-t', 'nat'], { stdio: 'pipe' });
    expect(save.stdout).toContain('-m statistic --mode random --probability 0.50000000000');

    // One endpoint goes: only node1's nat table is rewritten; every connection reaches web-b.
    const fewer: Lab = structuredClone(lab);
    fewer.services![0]!.endpoints = [{ node: 'web-b' }];
    const second = await t.engine.apply(fewer);
    expect(second.drift).toEqual([]);
    expect(second.ops.map((o) => `${o.ns} ${o.kind}`)).toEqual([`${ns('node1')} nat`]);
    expect(lineCounts(await get('client', 'http://10.96.0.10/index.html', 20))).toEqual({ 'web-b': 20 });
    expect((await t.engine.apply(fewer)).ops).toEqual([]);

    await t.engine.destroy('k8s-service');
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await rootSnapshot()).toBe(before);
  }, 90_000);
});

describe('Services on the implicit host', () => {
  it('bridges without a host: the chains and forwarding go to the implicit host, drift-free', async () => {
    t = testEngine(PREFIX);
    const lab = exampleLab('kubernetes-service.yaml');
    const nodes = { ...lab.nodes };
    delete nodes.node1;
    delete nodes.outside;
    const { host: _host, ...bridge } = nodes.cbr0 as { host?: string; kind: 'bridge' };
    const implicit: Lab = {
      ...lab,
      nodes: { ...nodes, cbr0: bridge },
      links: lab.links.filter((l) => l.a.node !== 'outside'),
      services: [{ ...lab.services![0]!, ports: [{ name: 'http', port: 80, targetPort: 8080 }] }],
    };
    const r = await t.engine.apply(implicit);
    expect(r.drift).toEqual([]);
    expect(r.ops.some((o) => o.ns === ns('_host') && o.kind === 'nat')).toBe(true);
    await serversUp();
    expect(Object.keys(lineCounts(await get('client', 'http://10.96.0.10/index.html', 20))).sort()).toEqual([
      'web-a',
      'web-b',
    ]);
    expect((await t.engine.apply(implicit)).ops).toEqual([]);
    await t.engine.destroy('k8s-service');
    expect(await listNamespaces(PREFIX)).toEqual([]);
  }, 90_000);
});
