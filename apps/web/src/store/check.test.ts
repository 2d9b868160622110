// The store checks the lab value as it is (no YAML round trip, bench:web): it must say exactly what
// the server's text parser says of the same lab written out as JSON.
import { parseLabText, type Lab } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import cni from '../../../../examples/cni.yaml?raw';
import dns from '../../../../examples/dns.yaml?raw';
import dockerNat from '../../../../examples/docker-bridge-nat.yaml?raw';
import dualStack from '../../../../examples/dual-stack-docker.yaml?raw';
import k8s from '../../../../examples/kubernetes-cluster.yaml?raw';
import macvlan from '../../../../examples/macvlan.yaml?raw';
import policy from '../../../../examples/network-policy.yaml?raw';
import vxlan from '../../../../examples/vxlan-two-hosts.yaml?raw';
import { addNode, connect } from '../model/lab-edit';
import { check, createEditorStore } from './editor';

const throughText = (lab: Lab) => {
  const r = parseLabText(JSON.stringify(lab));
  return { problems: r.problems, warnings: r.warnings ?? [] };
};
const labOf = (text: string): Lab => {
  const r = parseLabText(text);
  if (!r.lab) throw new Error(r.problems.map((p) => p.message).join('; '));
  return r.lab;
};

describe('check (the store’s validation)', () => {
  it('says what the text parser says of every example', () => {
    for (const text of [cni, dns, dockerNat, dualStack, k8s, macvlan, policy, vxlan]) {
      const lab = labOf(text);
      expect(check(lab)).toEqual(throughText(lab));
    }
  });

  it('says what the text parser says of broken labs: meaning, structure, fields set to undefined', () => {
    let lab = addNode(addNode(addNode(labOf(dockerNat), 'netns'), 'netns'), 'bridge');
    lab = connect(lab, 'ns1', 'br0').lab;
    const first = lab.links[0]!;
    const broken: Lab[] = [
      // an address clash and a bad one
      { ...lab, links: [{ ...first, a: { ...first.a, addresses: ['10.0.0.300/24'] } }, ...lab.links] },
      // a wrong type (structure) next to a meaning problem
      { ...lab, links: [{ ...first, a: { ...first.a, mtu: 'big' as unknown as number } }, ...lab.links.slice(1)] },
      // a field left undefined by an edit: the saved file has no such key
      { ...lab, links: [{ ...first, a: { ...first.a, mtu: undefined } }, ...lab.links.slice(1)] },
      // a node name the kernel cannot take
      { ...lab, nodes: { ...lab.nodes, 'bad name!': { kind: 'netns' } } },
    ];
    for (const b of broken) expect(check(b)).toEqual(throughText(b));
    expect(check(broken[0]!).problems.length).toBeGreaterThan(0);
    expect(check(broken[1]!).problems.length).toBeGreaterThan(0);
    expect(check(broken[3]!).problems.length).toBeGreaterThan(0);
  });

  it('still says when the document is over the file size bound', () => {
    const lab = labOf(dockerNat);
    const huge = { ...lab, description: 'x'.repeat(1024 * 1024 + 1) } as Lab;
    const r = check(huge);
    expect(r.problems.map((p) => p.code)).toContain('file.too-large');
    expect(r).toEqual(throughText(huge));
  });

  it('keeps the store’s problems in step with edits, undo and load', () => {
    const s = createEditorStore();
    s.getState().edit((l) => ({ ...l, name: 'Bad Name' }));
    expect(s.getState().problems).toEqual(throughText(s.getState().lab).problems);
    expect(s.getState().problems.length).toBeGreaterThan(0);
    s.getState().undo();
    expect(s.getState().problems).toEqual([]);
    s.getState().load(labOf(k8s));
    expect({ problems: s.getState().problems, warnings: s.getState().warnings }).toEqual(throughText(s.getState().lab));
  });
});
