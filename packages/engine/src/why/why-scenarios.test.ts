// Every built-in exercise's broken lab, explained: started as a student gets it (lab and setup
// steps), `why` is asked about the path its checks are about and must name the node and reason of
// the breakage the exercise teaches; after the reference solution the same question is answered
// reachable. A listener stands in for the server a tcp check starts. An exercise whose breakage is
// no path question is in NOT_A_PATH with the reason. Prefix pbwr4-; every lab and listener goes in
// afterEach.
import { builtinScenario, builtinScenarios } from '@patchbay/scenarios/library';
import type { WhyQuery, WhyReason, WhyResult } from '@patchbay/topology';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSteps, solveExercise, startExercise } from '../exercise.js';
import { testEngine, type TestEngine } from '../test-support.js';
import { explainPath } from './explain.js';
import { expectBlocked, expectExplained, listen } from './why-test-support.js';

interface Case {
  query: WhyQuery;
  /** A server the scenario's tcp check would start: node and port. */
  listener?: { node: string; port: number };
  /**
   * Where and why the request dies; or 'misdirected': it is delivered, but a translation on the way
   * sends it to the wrong place (a translate hop must say `says`, and none does once solved).
   */
  broken: { direction: 'forward' | 'reverse'; node: string; reason: WhyReason; interface?: string } | 'misdirected';
  /** What the explanation must say (the detail or the fix) to teach the exercise. */
  says: RegExp;
  /** The lab's own `run:` servers answer: they start after the lab is wired, so the solved walk waits for them. */
  runServers?: boolean;
}

const CASES: Record<string, Case> = {
  'bridge-nine-steps': {
    query: { from: 'red', to: '10.0.0.2' },
    broken: { direction: 'forward', node: 'red', reason: 'no-route' },
    says: /no IPv4 address.*eth0 is down|link set eth0 up/,
  },
  'calico-routed': {
    query: { from: 'pod-a', to: '10.0.2.2' },
    broken: { direction: 'forward', node: 'pod-a', reason: 'no-neighbour', interface: 'eth0' },
    says: /proxyArp: true on node1\/cali-a/,
  },
  // The walk follows one endpoint of a Service's random pick (it names both); the broken one is
  // asked about directly.
  'clusterip-one-pod': {
    query: { from: 'client', to: '10.244.1.3', proto: 'tcp', port: 8080 },
    broken: { direction: 'forward', node: 'web-b', reason: 'no-listener' },
    says: /8080/,
    runServers: true,
  },
  'nodeport-silent': {
    query: { from: 'outside', to: '192.168.50.1', proto: 'tcp', port: 30080 },
    broken: { direction: 'forward', node: 'node1', reason: 'forwarding-off' },
    says: /forwarding/,
    runServers: true,
  },
  'dnat-silent': {
    query: { from: 'client', to: '203.0.113.10', proto: 'tcp', port: 8080 },
    listener: { node: 'nas', port: 80 },
    broken: { direction: 'reverse', node: 'nas', reason: 'no-route' },
    says: /nas has no route to 203\.0\.113\.50/,
  },
  'docker-nat': {
    query: { from: 'a', to: '203.0.113.1' },
    broken: { direction: 'forward', node: 'dockerhost', reason: 'forwarding-off', interface: 'docker0' },
    says: /forwarding: true/,
  },
  'duplicate-ip': {
    query: { from: 'client', to: '172.17.0.3' },
    broken: { direction: 'forward', node: 'client', reason: 'no-neighbour', interface: 'eth0' },
    says: /who has 172\.17\.0\.3/,
  },
  'flannel-vtep': {
    query: { from: 'pod-a', to: '10.244.1.2' },
    broken: { direction: 'reverse', node: 'node2', reason: 'no-neighbour', interface: 'flannel-1' },
    says: /neigh replace 10\.244\.0\.0 lladdr ce:2b:5d:8e:31:a7 dev flannel-1/,
  },
  'forward-drop': {
    query: { from: 'client', to: '10.0.2.20' },
    broken: { direction: 'forward', node: 'fw', reason: 'filtered', interface: 'eth0' },
    says: /policy of table filter, chain FORWARD is DROP \(forwardPolicy: drop/,
  },
  'link-down': {
    query: { from: 'web', to: 'db' },
    broken: { direction: 'forward', node: 'db', reason: 'link-down', interface: 'eth0' },
    says: /link set eth0 up/,
  },
  'mask-32': {
    query: { from: 'web', to: '192.168.100.20' },
    broken: { direction: 'forward', node: 'web', reason: 'no-route' },
    says: /192\.168\.100\.10\/32.*\/24/s,
  },
  'missing-default-route': {
    query: { from: 'pc2', to: '10.0.0.10' },
    broken: { direction: 'forward', node: 'pc2', reason: 'no-route' },
    says: /route add default via 192\.168\.1\.1/,
  },
  'mtu-mismatch': {
    query: { from: 'client', to: '10.0.2.20', size: 1500, df: true },
    broken: { direction: 'forward', node: 'server', reason: 'mtu', interface: 'eth0' },
    says: /MTU is 1400/,
  },
  'network-modes': {
    query: { from: 'job', to: '127.0.0.1' },
    broken: { direction: 'forward', node: 'job', reason: 'link-down', interface: 'lo' },
    says: /link set lo up/,
  },
  'orphaned-veths': {
    query: { from: 'dockerhost', to: '172.17.0.2', proto: 'tcp', port: 80 },
    listener: { node: 'web', port: 80 },
    broken: { direction: 'forward', node: 'dockerhost', reason: 'no-listener' },
    says: /172\.17\.0\.2 is dockerhost's own address \(on vethd81b6e0\), so the packet never leaves/,
  },
  'cni-by-hand': {
    query: { from: 'mine', to: '10.22.0.2' },
    broken: { direction: 'forward', node: 'mine', reason: 'no-route' },
    says: /eth0 is down|link set eth0 up/,
  },
  // web's SYN to its own published port: DNATed in host, bridged back (br_netfilter) to veth-web.
  'hairpin-published-port': {
    query: { from: 'web', to: '172.17.0.1', proto: 'tcp', port: 8080 },
    listener: { node: 'web', port: 80 },
    broken: { direction: 'forward', node: 'docker0', reason: 'bridge-port-down', interface: 'veth-web' },
    says: /not in hairpin mode[\s\S]*link set dev veth-web hairpin on/,
  },
  'macvlan-host-shim': {
    query: { from: 'host', to: '192.168.50.10' },
    broken: { direction: 'forward', node: 'host', reason: 'no-neighbour', interface: 'eth0' },
    says: /never talks to its own parent[\s\S]*\(a shim\)/,
  },
  'policy-blocks-dns': {
    query: { from: 'frontend', to: '10.80.0.53', proto: 'udp', port: 53 },
    broken: { direction: 'forward', node: 'node1', reason: 'filtered' },
    says: /cali-fw-veth-frontend/,
    runServers: true,
  },
  // Not a dead path: the metrics port answers, with the sidecar's page. The walk's translate hop
  // names the REDIRECT that swallows it.
  'sidecar-redirect': {
    query: { from: 'monitor', to: '10.79.0.10', proto: 'tcp', port: 9090 },
    broken: 'misdirected',
    says: /REDIRECT .*chain PREROUTING: 10\.79\.0\.20 → 10\.79\.0\.10:9090 becomes .*10\.79\.0\.10:15001/,
    runServers: true,
  },
  'two-bridges-router': {
    query: { from: 'app', to: '10.0.2.10' },
    broken: { direction: 'forward', node: 'gw', reason: 'no-route' },
    says: /gw has no route to 10\.0\.2\.10 \(no connected subnet covers it/,
  },
  'vxlan-two-hosts': {
    query: { from: 'c1', to: '10.1.0.3' },
    broken: { direction: 'forward', node: 'host-b', reason: 'no-neighbour', interface: 'ov42' },
    says: /link set ov42 master br-b/,
  },
};

/**
 * Exercises `why` is not the tool for: the packets flow, and the breakage is elsewhere (a resolver
 * setting, the number of DNS queries), in IPv6 (the walk follows IPv4 only, by design), or in
 * traffic that flows when it should not (ebtables is not modelled).
 */
export const NOT_A_PATH: Record<string, string> = {
  'dns-resolver-nowhere':
    "the network is sound: web's /etc/resolv.conf names 10.0.0.53, which nothing holds; why would only confirm that no path leads to a wrong address, and the fix is the resolver file, which it does not read",
  'dns-ndots-five': 'every query is answered: the breakage is how many queries the resolver sends (ndots), not a path',
  'dual-stack-no-ipv6-default': 'the missing route is IPv6: the why walk follows IPv4 only, by design',
  'ebtables-mac-spoof':
    'traffic that should be blocked flows (frames from a forged MAC); the fix is an ebtables rule, which the walk does not model',
};

let t: TestEngine;
let stops: (() => Promise<void>)[] = [];
beforeEach(() => {
  t = testEngine('pbwr4-');
  stops = [];
});
afterEach(async () => {
  for (const stop of stops) await stop();
  await t.cleanup();
}, 60_000);

/** The walk of `c`'s question; with the lab's own servers, asked again until `settled` or 10 s. */
async function walk(lab: string, c: Case, settled: (r: WhyResult) => boolean): Promise<WhyResult> {
  let r = await explainPath(t.engine, lab, { ...c.query, probe: false });
  for (const end = Date.now() + 10_000; c.runServers && !settled(r) && Date.now() < end; ) {
    await new Promise((res) => setTimeout(res, 300));
    r = await explainPath(t.engine, lab, { ...c.query, probe: false });
  }
  return r;
}

const misdirectedBy = (r: WhyResult, says: RegExp) =>
  r.forward.find((h) => h.action === 'translate' && says.test(h.detail));

async function brokenThenSolved(id: string, c: Case): Promise<void> {
  const scenario = builtinScenario(id)!.scenario;
  const { lab } = await startExercise(t.engine, scenario, { lab: scenario.lab.name });
  if (c.listener) {
    const spec = { ...scenario.lab, name: lab };
    stops.push(await listen(t, spec, c.listener.node, 'tcp', c.listener.port));
  }
  if (c.broken === 'misdirected') {
    const broken = await walk(lab, c, (r) => r.reachable);
    expect(broken.reachable, JSON.stringify(broken.blocked)).toBe(true);
    expect(misdirectedBy(broken, c.says), JSON.stringify(broken.forward, null, 1)).toBeDefined();
  } else {
    const broken = await explainPath(t.engine, lab, { ...c.query, probe: false });
    const b = expectBlocked(broken, c.broken);
    expect(`${b.detail}\n${b.fix}`).toMatch(c.says);
  }

  const steps = await solveExercise(t.engine, lab);
  expect(steps.filter((s) => s.code !== 0)).toEqual([]);
  const solved = await walk(lab, c, (r) => r.reachable);
  expect(solved.reachable, JSON.stringify({ blocked: solved.blocked, forward: solved.forward }, null, 1)).toBe(true);
  expectExplained(solved);
  if (c.broken === 'misdirected') expect(misdirectedBy(solved, c.says)).toBeUndefined();
}

describe('why on every built-in exercise', () => {
  it('covers the whole library: each exercise a case, or not a path question', () => {
    const ids = [...Object.keys(CASES), ...Object.keys(NOT_A_PATH)];
    expect(new Set(ids).size, 'an exercise is in more than one list').toBe(ids.length);
    expect(ids.sort()).toEqual(
      builtinScenarios()
        .map((b) => b.id)
        .sort(),
    );
  });

  it.each(Object.keys(CASES).map((id) => [id]))(
    '%s: the broken lab names the breakage, the solution reaches',
    async (id) => {
      await brokenThenSolved(id, CASES[id]!);
    },
  );

  it('docker-nat half solved (forwarding on, no masquerade): nat, at the host that should translate', async () => {
    const scenario = builtinScenario('docker-nat')!.scenario;
    const { lab } = await startExercise(t.engine, scenario);
    const [step] = await runSteps(t.engine, lab, [scenario.solution[0]!]);
    expect(step!.code).toBe(0);
    const r = await explainPath(t.engine, lab, { from: 'a', to: '203.0.113.1', probe: false });
    const b = expectBlocked(r, { direction: 'reverse', node: 'dockerhost', reason: 'nat', interface: 'eth0' });
    expect(b.fix).toMatch(/-s 172\.17\.0\.0\/16 -o eth0 -j MASQUERADE/);
  });

  it('duplicate-ip: the address held twice is said on the sender hop, with the MAC it believed', async () => {
    const scenario = builtinScenario('duplicate-ip')!.scenario;
    const { lab } = await startExercise(t.engine, scenario);
    const r = await explainPath(t.engine, lab, { from: 'client', to: '172.17.0.2', probe: false });
    const send = r.forward[0]!;
    expect(send.detail).toMatch(
      /(web|cache)\/eth0 and (web|cache)\/eth0 all hold 172\.17\.0\.2 on this segment: ARP gets 2 answers/,
    );
  });
});
