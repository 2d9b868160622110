import { parseLabText, validateLab, type Lab } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import {
  addPolicyFor,
  labelsText,
  newFirewallRule,
  parseLabels,
  policiesSelecting,
  portValue,
  removePolicy,
  setRuleField,
} from './firewall-edit';

const lab = (): Lab =>
  parseLabText(`name: p
nodes:
  sw: { kind: bridge }
  a: { kind: netns, labels: { app: web } }
  b: { kind: netns }
links:
  - a: { node: a, interface: eth0, addresses: [10.0.0.1/24] }
    b: { node: sw, interface: va }
  - a: { node: b, interface: eth0, addresses: [10.0.0.2/24] }
    b: { node: sw, interface: vb }
policies:
  - { name: web, podSelector: { matchLabels: { app: web } }, ingress: [] }
`).lab!;

describe('firewall rule edits', () => {
  it('a new rule is valid; a table change resets a chain the table lacks', () => {
    const r = newFirewallRule();
    expect(r).toEqual({ chain: 'INPUT', action: 'DROP' });
    const nat = setRuleField(r, 'table', 'nat');
    expect(nat).toEqual({ table: 'nat', chain: 'INPUT', action: 'DROP' });
    expect(setRuleField({ ...r, chain: 'FORWARD' }, 'table', 'nat').chain).toBe('PREROUTING');
    expect(setRuleField(nat, 'table', 'filter')).toEqual({ chain: 'INPUT', action: 'DROP' });
    expect(setRuleField({ ...r, source: '10.0.0.1' }, 'source', '')).toEqual(r);
  });
  it('ports and labels as typed', () => {
    expect([portValue('80'), portValue('1000-2000'), portValue(' ')]).toEqual([80, '1000-2000', undefined]);
    expect(parseLabels('app=web, tier = db,solo')).toEqual({ app: 'web', tier: 'db', solo: '' });
    expect(parseLabels(' ')).toBeUndefined();
    expect(labelsText({ app: 'web', tier: 'db' })).toBe('app=web, tier=db');
  });
});

describe('policies on the pods they select', () => {
  it('lists the policies selecting a pod, by label or by name', () => {
    expect(policiesSelecting(lab(), 'a')).toEqual([{ name: 'web', index: 0, types: ['Ingress'] }]);
    expect(policiesSelecting(lab(), 'b')).toEqual([]);
    const { lab: added, name } = addPolicyFor(lab(), 'b');
    expect(name).toBe('b-ingress');
    expect(policiesSelecting(added, 'b')).toEqual([{ name: 'b-ingress', index: 1, types: ['Ingress'] }]);
    expect(validateLab(added)).toEqual([]);
    expect(addPolicyFor(added, 'b').name).toBe('b-ingress-2');
    expect(removePolicy(removePolicy(added, 1), 0).policies).toBeUndefined();
  });
});
