// The gallery's Kubernetes-style lab (examples/kubernetes-cluster.yaml) on the real kernel: two
// nodes with routed pod subnets, a Service with a pod on each node, CoreDNS-style DNS and a
// NetworkPolicy, all at once. A client pod reaches the Service by its DNS name and both endpoints
// answer; a pod the policy does not allow gets no answer; destroy leaves nothing. Prefix pbk8c-.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInNamespace } from '@patchbay/kernel';
import { exampleLab, rootSnapshot, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbk8c-';
const NS = (node: string) => `${PREFIX}k8s-cluster.${node}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `curl` in `node` as `ip netns exec` runs it (its resolv.conf bound): the body, or '' when nothing answered. */
async function fetchIn(node: string, url: string): Promise<string> {
  const r = await execInNamespace(NS(node), ['curl', '-s', '-m', '3', url], { stdio: 'pipe' });
  return r.code === 0 ? (r.stdout ?? '').trim() : '';
}

let t: TestEngine;
let before = '';
beforeAll(async () => {
  before = await rootSnapshot();
  t = testEngine(PREFIX);
  expect((await t.engine.apply(exampleLab('kubernetes-cluster.yaml'))).drift).toEqual([]);
}, 60_000);
afterAll(async () => {
  await t.engine.destroy('k8s-cluster').catch(() => undefined);
  await t.cleanup();
}, 60_000);

describe('examples/kubernetes-cluster.yaml', () => {
  it('a client pod reaches the Service by name, on both nodes', async () => {
    // the web servers and the DNS server are run: processes, started after the lab is wired
    let first = '';
    for (const end = Date.now() + 15_000; Date.now() < end && !first; await sleep(300))
      first = await fetchIn('client', 'http://web.cluster.local/');
    expect(['web-a', 'web-b']).toContain(first);
    const seen = new Set([first]);
    for (let i = 0; i < 30 && seen.size < 2; i++) seen.add(await fetchIn('client', 'http://web.cluster.local/'));
    expect([...seen].sort()).toEqual(['web-a', 'web-b']); // 1/2 each: one endpoint 30 times is p < 1e-9
  }, 60_000);

  it('the policy lets only app=client pods in: coredns gets no answer from the web pods', async () => {
    expect(await fetchIn('client', 'http://10.244.1.3:8080/')).toBe('web-a');
    expect(await fetchIn('coredns', 'http://10.244.1.3:8080/')).toBe('');
    expect(await fetchIn('coredns', 'http://10.96.0.10/')).toBe('');
  }, 60_000);

  it('re-applying changes nothing; destroy leaves the machine as it was', async () => {
    expect((await t.engine.apply(exampleLab('kubernetes-cluster.yaml'))).ops).toEqual([]);
    await t.engine.destroy('k8s-cluster');
    expect(await rootSnapshot()).toBe(before);
  }, 60_000);
});
