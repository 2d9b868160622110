import type { Lab, NetworkPolicySpec } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import {
  addPolicyRule,
  parsePeers,
  parsePorts,
  peersText,
  policyMarks,
  policyTypesOf,
  portsText,
  removePolicyRule,
  selectorText,
  setPolicyType,
  setRulePeers,
  setRulePorts,
  setSelector,
} from './policy-edit';

const deny: NetworkPolicySpec = {
  name: 'db-ingress',
  podSelector: { nodes: ['db'] },
  policyTypes: ['Ingress'],
  ingress: [],
};

describe('peers and ports as text', () => {
  it('parses labels, pods, CIDRs and every pod, and prints them back the same', () => {
    const peers = parsePeers('app=api, web, 10.0.0.0/8, *, db & tier=x')!;
    expect(peers).toEqual([
      { podSelector: { matchLabels: { app: 'api' } } },
      { podSelector: { nodes: ['web'] } },
      { ipBlock: { cidr: '10.0.0.0/8' } },
      { podSelector: {} },
      { podSelector: { nodes: ['db'], matchLabels: { tier: 'x' } } },
    ]);
    expect(peersText(peers)).toBe('app=api, web, 10.0.0.0/8, *, db & tier=x');
    expect(parsePeers('  ')).toBeUndefined();
  });

  it('parses ports with protocol and range, and refuses what is no port', () => {
    expect(parsePorts('TCP 5432, udp 53, 8000-8080, UDP')).toEqual({
      ports: [
        { protocol: 'TCP', port: 5432 },
        { protocol: 'UDP', port: 53 },
        { port: 8000, endPort: 8080 },
        { protocol: 'UDP' },
      ],
    });
    expect(portsText(parsePorts('TCP 5432, 8000-8080').ports)).toBe('TCP 5432, TCP 8000-8080');
    expect(parsePorts('http')).toEqual({ bad: 'http' });
    expect(parsePorts('')).toEqual({});
  });
});

describe('editing a policy', () => {
  it('adds, narrows and removes rules; a refused port text changes nothing', () => {
    let p = addPolicyRule(deny, 'ingress');
    expect(p.ingress).toEqual([{}]);
    p = setRulePeers(p, 'ingress', 0, 'app=api');
    p = setRulePorts(p, 'ingress', 0, 'TCP 5432')!;
    expect(p.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ protocol: 'TCP', port: 5432 }] },
    ]);
    expect(setRulePorts(p, 'ingress', 0, 'postgres')).toBeUndefined();
    p = setRulePeers(p, 'ingress', 0, '');
    expect(p.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 5432 }] }]);
    expect(removePolicyRule(p, 'ingress', 0).ingress).toEqual([]);
  });

  it('egress: a new rule isolates egress too; policy types on and off', () => {
    const p = addPolicyRule(deny, 'egress');
    expect(policyTypesOf(p)).toEqual(['Ingress', 'Egress']);
    expect(setRulePeers(p, 'egress', 0, 'dns').egress).toEqual([{ to: [{ podSelector: { nodes: ['dns'] } }] }]);
    const off = setPolicyType(p, 'Ingress', false);
    expect(off.policyTypes).toEqual(['Egress']);
    expect(off.ingress).toBeUndefined();
    expect(setPolicyType(off, 'Ingress', true).ingress).toEqual([]); // back as default deny
  });

  it('the pod selector as text', () => {
    expect(selectorText(deny)).toBe('db');
    expect(setSelector(deny, 'app=db').podSelector).toEqual({ matchLabels: { app: 'db' } });
    expect(setSelector(deny, '*').podSelector).toEqual({});
  });
});

describe('policies on the canvas', () => {
  const lab: Lab = {
    name: 't',
    nodes: {
      api: { kind: 'netns', labels: { app: 'api' } },
      web: { kind: 'netns' },
      db: { kind: 'netns' },
    },
    links: [],
    policies: [{ ...deny, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }] }],
  };
  it('marks the pods a policy selects, and its peers when one of them is selected', () => {
    expect(policyMarks(lab, []).on).toEqual(new Map([['db', ['db-ingress']]]));
    expect(policyMarks(lab, []).peers).toEqual(new Set());
    expect(policyMarks(lab, ['db']).peers).toEqual(new Set(['api']));
    expect(policyMarks(lab, ['web']).peers).toEqual(new Set());
  });
});
