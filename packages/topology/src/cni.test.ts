// CNI attachments, pure parts: validation problem codes, the network config each plugin gets, the
// plan (ADD, DEL, DEL + ADD on a change, the bridge removed with its last user), the exact command
// shown, and the kernel objects the lab's diff must leave alone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CniRecord, desiredCni, planCni, withoutCniObjects } from './cni.js';
import { compile } from './compile.js';
import { diff } from './diff.js';
import type { CniSpec, Lab } from './model.js';
import { parseLabText } from './parse.js';
import { opCommand } from './plan-types.js';
import type { KernelState } from './state.js';
import { validateLab } from './validate.js';

const EXAMPLE = parseLabText(readFileSync(join(import.meta.dirname, '../../../examples/cni.yaml'), 'utf8')).lab!;
const IPAM = '/data/run/_cni/pb-/cni/ipam';

const withPod = (spec: Partial<CniSpec>, extra: Partial<Lab> = {}): Lab => ({
  name: 'x',
  nodes: {
    node1: { kind: 'host' },
    lan: { kind: 'netns' },
    pod: {
      kind: 'netns',
      cni: [
        {
          host: 'node1',
          interface: 'eth0',
          plugin: 'bridge',
          network: 'net',
          subnet: '10.1.0.0/24',
          ...spec,
        },
      ],
    },
  },
  links: [{ a: { node: 'node1', interface: 'eth1' }, b: { node: 'lan', interface: 'eth0' } }],
  ...extra,
});
const codes = (lab: Lab) => validateLab(lab).map((p) => `${p.path} ${p.code}`);

describe('validation', () => {
  it('the example is valid', () => expect(validateLab(EXAMPLE)).toEqual([]));
  it('the plugin runs in a host node, not the pod itself nor a netns', () => {
    expect(codes(withPod({ host: 'nope' }))).toEqual(['nodes.pod.cni[0].host ref.unknown']);
    expect(codes(withPod({ host: 'pod' }))).toEqual(['nodes.pod.cni[0].host cni.host-self']);
    expect(codes(withPod({ host: 'lan' }))).toEqual(['nodes.pod.cni[0].host cni.host-kind']);
  });
  it('the pool is a network; gateway and range inside it, in order', () => {
    expect(codes(withPod({ subnet: '10.1.0.5/24' }))).toEqual(['nodes.pod.cni[0].subnet cni.subnet']);
    expect(codes(withPod({ subnet: '10.1.0.0/31' }))).toEqual(['nodes.pod.cni[0].subnet cni.subnet']);
    expect(codes(withPod({ gateway: '10.2.0.1' }))).toEqual(['nodes.pod.cni[0].gateway cni.range']);
    expect(codes(withPod({ rangeStart: '10.1.0.9', rangeEnd: '10.1.0.3' }))).toEqual([
      'nodes.pod.cni[0].rangeEnd cni.range',
    ]);
    expect(codes(withPod({ routes: ['10.9.0.1/16'] }))).toEqual(['nodes.pod.cni[0].routes[0] cni.route']);
  });
  it("each plugin takes only its own fields; macvlan's master is a link end on the host", () => {
    expect(codes(withPod({ plugin: 'ptp', bridge: 'br9' }))).toEqual(['nodes.pod.cni[0].bridge cni.field']);
    expect(codes(withPod({ plugin: 'bridge', master: 'eth1' }))).toEqual(['nodes.pod.cni[0].master cni.field']);
    expect(codes(withPod({ plugin: 'macvlan' }))).toEqual(['nodes.pod.cni[0].master cni.master']);
    expect(codes(withPod({ plugin: 'macvlan', master: 'eth7' }))).toEqual(['nodes.pod.cni[0].master cni.master']);
    expect(codes(withPod({ plugin: 'macvlan', master: 'eth1' }))).toEqual([]);
  });
  it('one network name is one pool; the interface and the bridge are names in their namespaces', () => {
    const lab = withPod({});
    lab.nodes.lan = {
      kind: 'netns',
      cni: [{ host: 'node1', interface: 'eth0', plugin: 'bridge', network: 'net', subnet: '10.7.0.0/24' }],
    };
    expect(codes(lab)).toEqual([
      'nodes.lan.cni[0].interface iface.duplicate',
      'nodes.pod.cni[0].subnet cni.network-mismatch',
    ]);
    expect(codes(withPod({ bridge: 'eth1' }))).toEqual(['nodes.pod.cni[0].bridge iface.duplicate']);
  });
  it('a host that hands out a gateway keeps the forwarding the plugin turns on', () => {
    const lab = withPod({});
    lab.nodes.node1 = { kind: 'host', forwarding: false };
    expect(codes(lab)).toEqual(['nodes.node1.forwarding cni.forwarding']);
    expect(
      codes({
        ...lab,
        nodes: {
          ...lab.nodes,
          pod: {
            kind: 'netns',
            cni: [
              {
                host: 'node1',
                interface: 'eth0',
                plugin: 'bridge',
                network: 'n',
                subnet: '10.1.0.0/24',
                isGateway: false,
              },
            ],
          },
        },
      }),
    ).toEqual([]);
  });
  it('the JSON Schema refuses unknown fields and plugins', () => {
    const r = parseLabText(
      'name: x\nnodes:\n  h: {kind: host}\n  p:\n    kind: netns\n    cni:\n      - {host: h, interface: eth0, plugin: flannel, network: n, subnet: 10.0.0.0/24, colour: red}\nlinks: []\n',
    );
    expect(r.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['nodes.p.cni[0].plugin', 'nodes.p.cni[0].colour']),
    );
  });
});

describe('config and plan', () => {
  const desired = desiredCni(EXAMPLE, 'pb-', IPAM);
  it('the network config each plugin gets: cniVersion, name, type, host-local IPAM with the lab dataDir', () => {
    expect(desired.map((d) => d.key)).toEqual(['pod-a.eth0', 'pod-b.eth0', 'pod-c.eth0']);
    expect(desired[0]!.config).toEqual({
      cniVersion: '1.0.0',
      name: 'podnet',
      type: 'bridge',
      bridge: 'cni0',
      isGateway: true,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: '10.22.0.0/24' }]],
        routes: [{ dst: '0.0.0.0/0' }],
        dataDir: IPAM,
      },
    });
    expect(desired[2]!).toMatchObject({
      hostNs: 'pb-cni.node1',
      ns: 'pb-cni.pod-c',
      containerId: 'pb-cni.pod-c',
      plugin: 'ptp',
    });
  });
  it('ADD for each new attachment, shown as the exact call', () => {
    const ops = planCni(desired, []);
    expect(ops.map((o) => `${o.phase} ${o.args.join(' ')}`)).toEqual([
      'cni ADD pod-a.eth0',
      'cni ADD pod-b.eth0',
      'cni ADD pod-c.eth0',
    ]);
    expect(opCommand(ops[2]!)).toMatchSnapshot();
  });
  it('nothing for what is attached as wanted; DEL + ADD for a change; DEL, and the bridge, for the last user', () => {
    const recorded: CniRecord[] = desired.map((d) => ({ ...d }));
    expect(planCni(desired, recorded)).toEqual([]);
    const changed = desired.map((d) => (d.key === 'pod-c.eth0' ? { ...d, config: { ...d.config, mtu: 1400 } } : d));
    expect(planCni(changed, recorded).map((o) => `${o.phase} ${o.args.join(' ')}`)).toEqual([
      'uncni DEL pod-c.eth0',
      'cni ADD pod-c.eth0',
    ]);
    // A new pool for the bridge's pods: the bridge goes with the last DEL (it carries the old gateway).
    const repooled = desired.map((d) => (d.plugin === 'bridge' ? { ...d, config: { ...d.config, mtu: 1400 } } : d));
    expect(planCni(repooled, recorded).map((o) => `${o.args.join(' ')} ${o.cni!.removeBridge ?? '-'}`)).toEqual([
      'DEL pod-a.eth0 -',
      'DEL pod-b.eth0 cni0',
      'ADD pod-a.eth0 -',
      'ADD pod-b.eth0 -',
    ]);
    const onlyC = desired.filter((d) => d.plugin === 'ptp');
    const ops = planCni(onlyC, recorded);
    expect(ops.map((o) => `${o.args.join(' ')} ${o.cni!.removeBridge ?? '-'}`)).toEqual([
      'DEL pod-a.eth0 -',
      'DEL pod-b.eth0 cni0',
    ]);
    expect(opCommand(ops[1]!)).toContain('ip -n pb-cni.node1 link del cni0');
    // A namespace the kernel plan deletes: DEL first, ADD again; its bridge goes with the namespace.
    const replaced = planCni(desired, recorded, { replaced: new Set(['pb-cni.node1']) });
    expect(replaced.filter((o) => o.cni!.removeBridge)).toEqual([]);
    expect(replaced.map((o) => o.phase)).toEqual(['uncni', 'uncni', 'uncni', 'cni', 'cni', 'cni']);
  });
});

describe('the lab diff and the plugins’ objects', () => {
  it('leaves the interfaces, addresses and routes a plugin made alone', () => {
    const lab = EXAMPLE;
    const want = compile(lab, 'pb-');
    const record: CniRecord = {
      ...desiredCni(lab, 'pb-', IPAM)[0]!,
      result: {
        interfaces: [
          { name: 'cni0', mac: '02:00:00:00:00:01' },
          { name: 'veth1234abcd', mac: '02:00:00:00:00:02' },
          { name: 'eth0', mac: '02:00:00:00:00:03', sandbox: '/run/netns/pb-cni.pod-a' },
        ],
        ips: [{ address: '10.22.0.2/24', gateway: '10.22.0.1', interface: 2 }],
      },
    };
    // The kernel as the plugin left it (on top of what the lab made).
    const observed: KernelState = JSON.parse(JSON.stringify({ namespaces: want.namespaces })) as KernelState;
    const host = observed.namespaces['pb-cni.node1']!;
    host.links.cni0 = { name: 'cni0', kind: 'bridge', up: true, addresses: ['10.22.0.1/24'] };
    host.links.veth1234abcd = { name: 'veth1234abcd', kind: 'veth', up: true, master: 'cni0', addresses: [] };
    const pod = observed.namespaces['pb-cni.pod-a']!;
    pod.links.eth0 = { name: 'eth0', kind: 'veth', up: true, addresses: ['10.22.0.2/24'] };
    pod.routes.push({ to: 'default', via: '10.22.0.1', dev: 'eth0' });
    for (const ns of Object.values(observed.namespaces)) for (const l of Object.values(ns.links)) l.up ??= false;
    const before = diff(want, observed).changes.filter((c) => c.kind === 'link' || c.kind === 'route');
    // Without the filter the diff would delete them all (the bridge, the veth end, the pod's eth0).
    expect(before.map((c) => `${c.kind} ${c.action}`)).toEqual(['link remove', 'link remove', 'link remove']);
    const after = diff(want, withoutCniObjects(observed, [record])).changes.filter(
      (c) => c.kind === 'link' || c.kind === 'route',
    );
    expect(after).toEqual([]);
  });
});
