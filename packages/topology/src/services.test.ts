import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { kubeChainHash, serviceChains, statisticProbability } from './compile-service.js';
import { diff } from './diff.js';
import type { Lab } from './model.js';
import { serviceAddresses } from './model-service.js';
import { parseLabText } from './parse.js';
import { opCommand } from './plan-types.js';
import { plan } from './plan.js';
import { base32, sha256 } from './sha256.js';
import type { KernelState } from './state.js';
import { validateLab } from './validate.js';

const EXAMPLE = join(import.meta.dirname, '../../../examples/kubernetes-service.yaml');
const example = () => parse(readFileSync(EXAMPLE, 'utf8')) as Lab;
const P = 'pb-';
const NODE1 = 'pb-k8s-service.node1';
const codes = (lab: Lab) => validateLab(lab).map((p) => `${p.path} ${p.code}`);

describe('kube-proxy names', () => {
  it('hashes as kube-proxy does (chain names seen in every cluster)', () => {
    expect(Buffer.from(sha256('abc')).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(base32(sha256('x'.repeat(200))).length).toBe(52);
    expect(kubeChainHash('kube-system/kube-dns:dns', 'udp')).toBe('TCOU7JCQXEZGVUNU');
    expect(kubeChainHash('default/kubernetes:https', 'tcp')).toBe('NPX46M4PTMTKRN6Y');
    expect(kubeChainHash('kube-system/kube-dns:dns-tcp', 'tcp')).toBe('ERIFXISQEP7F7OF4');
  });

  it('gives each endpoint 1/(n−i), as iptables-save prints it back', () => {
    expect(statisticProbability(0, 2)).toBe('0.50000000000');
    expect(statisticProbability(0, 3)).toBe('0.33333333349');
    expect(statisticProbability(1, 3)).toBe('0.50000000000');
  });
});

describe('compile services', () => {
  it('writes KUBE-SERVICES → KUBE-SVC → KUBE-SEP with statistic, DNAT, NodePort and masquerade on the host', () => {
    const nat = compile(example(), P).namespaces[NODE1]!.iptables!.nat;
    const svc = `KUBE-SVC-${kubeChainHash('default/web:http', 'tcp')}`;
    const sepA = `KUBE-SEP-${kubeChainHash('default/web:http', 'tcp', '10.244.1.2:8080')}`;
    expect(nat).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(nat).toContain(
      `-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j ${svc}`,
    );
    expect(nat).toContain(
      `-A ${svc} -m comment --comment "default/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.50000000000 -j ${sepA}`,
    );
    expect(nat).toContain(
      `-A ${sepA} -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.2:8080`,
    );
    expect(nat).toContain(`-A ${sepA} -s 10.244.1.2/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ`);
    expect(nat.some((l) => l.includes('KUBE-NODEPORTS -p tcp') && l.includes('--dport 30080'))).toBe(true);
    // iptables-save's order: built-in chains, then user chains by name; rules chain by chain.
    const chains = nat.filter((l) => l.startsWith(':')).map((l) => l.split(' ')[0]!.slice(1));
    expect(chains.slice(4)).toEqual([...chains.slice(4)].sort());
    const ruleChains = nat.filter((l) => l.startsWith('-A')).map((l) => l.split(' ')[1]!);
    expect(ruleChains.filter((c, i) => i > 0 && c !== ruleChains[i - 1])).toEqual([...new Set(ruleChains)].slice(1));
    // The pods hold nothing of it.
    expect(compile(example(), P).namespaces['pb-k8s-service.web-a']!.iptables).toBeUndefined();
  });

  it('puts the chains on the implicit host (forwarding on) when bridges have no host', () => {
    const lab = example();
    delete (lab.nodes.cbr0 as { host?: string }).host;
    delete (lab.nodes as Record<string, unknown>).node1;
    delete (lab.nodes as Record<string, unknown>).outside;
    lab.links = lab.links.slice(0, 3);
    delete lab.services![0]!.ports[0]!.nodePort;
    expect(validateLab(lab)).toEqual([]);
    const host = compile(lab, P).namespaces['pb-k8s-service._host']!;
    expect(host.iptables!.nat.some((l) => l.startsWith('-A KUBE-SERVICES -d 10.96.0.10/32'))).toBe(true);
    expect(host.sysctls['net.ipv4.ip_forward']).toBe('1');
  });

  it('writes no chain for a port without endpoints, and none for another family', () => {
    const lab = example();
    lab.services![0]!.endpoints = [];
    const nat = compile(lab, P).namespaces[NODE1]!.iptables!.nat;
    expect(nat.some((l) => l.includes('KUBE-SVC-'))).toBe(false);
    expect(serviceChains(example(), 6).size).toBe(0);
  });

  it('exports each Service name and ClusterIP for DNS', () => {
    expect(serviceAddresses(example().services)).toEqual([{ name: 'web', address: '10.96.0.10' }]);
  });
});

describe('diff and plan', () => {
  const observed = (lab: Lab): KernelState => structuredClone({ namespaces: compile(lab, P).namespaces });

  it('shows the chains in the plan as one iptables-restore with the exact rules', () => {
    const cmds = plan(diff(compile(example(), P), { namespaces: {} })).ops.map(opCommand);
    const restore = cmds.find((c) => c.startsWith(`ip netns exec ${NODE1} iptables-restore`))!;
    expect(restore).toContain(':KUBE-SERVICES - [0:0]');
    expect(restore).toContain('-m statistic --mode random --probability 0.50000000000');
  });

  it('changes only the proxy node when an endpoint goes', () => {
    const before = example();
    const after = example();
    after.services![0]!.endpoints = [{ node: 'web-b' }];
    const ops = plan(diff(compile(after, P), observed(before))).ops;
    expect(ops.map((o) => `${o.ns} ${o.kind}`)).toEqual([`${NODE1} nat`]);
    expect(ops[0]!.input).not.toContain('10.244.1.2:8080');
    expect(ops[0]!.input).not.toContain('statistic');
    expect(plan(diff(compile(before, P), observed(before))).ops).toEqual([]);
  });
});

describe('validate services', () => {
  const withService = (s: object): Lab => ({ ...example(), services: [s as never] });
  const base = { name: 'web', clusterIP: '10.96.0.10', ports: [{ port: 80 }], endpoints: [{ node: 'web-a' }] };

  it('accepts the example', () => {
    expect(codes(example())).toEqual([]);
  });

  it('gives each problem its code', () => {
    expect(codes(withService({ ...base, clusterIP: '10.244.1.2' }))).toEqual([
      'services[0].clusterIP service.clusterip-in-use',
    ]);
    expect(codes(withService({ ...base, clusterIP: '10.96.0.300' }))).toEqual([
      'services[0].clusterIP service.clusterip-invalid',
    ]);
    // An IPv6 ClusterIP is fine (ip6tables), but its endpoints need IPv6 addresses.
    expect(codes(withService({ ...base, clusterIP: 'fd00::10' }))).toEqual([
      'services[0].endpoints[0].node service.endpoint-no-address',
    ]);
    expect(codes(withService({ ...base, clusterIP: 'fd00::1::10' }))).toEqual([
      'services[0].clusterIP service.clusterip-invalid',
      'services[0].endpoints[0].node service.endpoint-no-address',
    ]);
    expect(codes(withService({ ...base, ports: [{ port: 80 }, { port: 81 }] }))).toEqual([
      'services[0].ports[0].name service.port-name',
      'services[0].ports[1].name service.port-name',
    ]);
    expect(codes(withService({ ...base, ports: [{ port: 80, nodePort: 80 }] }))).toEqual([
      'services[0].ports[0].nodePort service.nodeport-range',
    ]);
    expect(codes(withService({ ...base, endpoints: [{ node: 'cbr0' }] }))).toEqual([
      'services[0].endpoints[0].node ref.kind',
    ]);
    expect(codes(withService({ ...base, endpoints: [{ node: 'nope' }] }))).toEqual([
      'services[0].endpoints[0].node ref.unknown',
    ]);
    expect(codes(withService({ ...base, endpoints: [{ node: 'web-a', address: '10.244.1.9' }] }))).toEqual([
      'services[0].endpoints[0].address service.endpoint-address',
    ]);
    expect(codes(withService({ ...base, endpoints: [{ node: 'web-a' }, { node: 'web-a' }] }))).toEqual([
      'services[0].endpoints[1] service.endpoint-duplicate',
    ]);
    expect(codes(withService({ ...base, nodes: ['web-a'] }))).toEqual(['services[0].nodes[0] ref.kind']);
    const two = { ...example(), services: [base, { ...base }] } as Lab;
    expect(codes(two)).toEqual([
      'services[1].name service.duplicate',
      'services[1].clusterIP service.clusterip-duplicate',
    ]);
  });

  it('reports structural problems of a lab file with service codes', () => {
    const text = JSON.stringify({ ...example(), services: [{ ...base, ports: [] }] });
    expect(parseLabText(text).problems.map((p) => p.code)).toContain('service.ports');
    const bad = JSON.stringify({ ...example(), services: [{ ...base, ports: [{ port: 80, nodePort: 99 }] }] });
    expect(parseLabText(bad).problems.map((p) => p.code)).toContain('service.nodeport-range');
  });
});
