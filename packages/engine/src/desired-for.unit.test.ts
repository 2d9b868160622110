// desiredFor (pure): a namespace whose tables the previous revision managed gets default tables
// back, whether the previous revision's managed tables come from its journal entry (what an apply
// writes now) or are compiled again from its lab (an entry written before the journal kept them).
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ebtablesNamespaces, parseLabText, type Lab } from '@patchbay/topology';
import { desiredFor } from './apply.js';

const PREFIX = 'pb-';

function example(name: string): Lab {
  const r = parseLabText(readFileSync(new URL(`../../../examples/${name}.yaml`, import.meta.url), 'utf8'));
  if (!r.lab) throw new Error(`examples/${name}.yaml: ${JSON.stringify(r.problems)}`);
  return r.lab;
}

describe('desiredFor', () => {
  const withTables = example('network-policy');
  const withoutTables: Lab = structuredClone(withTables);
  delete (withoutTables.nodes['node1'] as { firewall?: unknown }).firewall; // node1 is a host
  delete withoutTables.policies;

  it('says which namespaces a lab manages the tables of', () => {
    const { managed } = desiredFor(PREFIX, withTables);
    expect(managed.iptables).toContain('pb-network-policy.node1');
    expect(desiredFor(PREFIX, withoutTables).managed.iptables).toEqual([]);
  });

  it("names the same ebtables namespaces as topology's ebtablesNamespaces (every example, and anti-spoofing ports)", () => {
    const names = readdirSync(new URL('../../../examples/', import.meta.url)).filter((f) => f.endsWith('.yaml'));
    const guarded: Lab = {
      name: 'guarded',
      nodes: { h: { kind: 'host' }, sw: { kind: 'bridge', host: 'h' }, a: { kind: 'netns' }, b: { kind: 'netns' } },
      links: [
        {
          a: { node: 'a', interface: 'eth0', mac: '02:00:00:00:78:0a', addresses: ['10.78.1.10/24'] },
          b: { node: 'sw', interface: 'p-a', bridgePort: { antiSpoof: true } },
        },
        { a: { node: 'b', interface: 'eth0', addresses: ['10.78.1.11/24'] }, b: { node: 'sw', interface: 'p-b' } },
      ],
    };
    const labs: [string, Lab][] = [
      ...names.map((f): [string, Lab] => [f, example(f.slice(0, -'.yaml'.length))]),
      ['guarded', guarded],
    ];
    for (const [file, lab] of labs)
      expect(desiredFor(PREFIX, lab).managed.ebtables, file).toEqual(ebtablesNamespaces(lab, PREFIX));
    expect(desiredFor(PREFIX, guarded).managed.ebtables).toEqual(['pb-guarded.h']);
  });

  it('gives default tables back where the previous revision managed them, from the journal or compiled again', () => {
    const { managed } = desiredFor(PREFIX, withTables);
    const fromJournal = desiredFor(PREFIX, withoutTables, { lab: withTables, managed }).desired;
    // the previous revision comes from the journal frozen (Journal.readShared): compiling it changes nothing
    const compiledAgain = desiredFor(PREFIX, withoutTables, { lab: deepFreeze(structuredClone(withTables)) }).desired;
    expect(fromJournal).toEqual(compiledAgain);
    expect(fromJournal.namespaces['pb-network-policy.node1']!.iptables).toBeDefined();
    // without a previous revision there is nothing to give back
    expect(desiredFor(PREFIX, withoutTables).desired.namespaces['pb-network-policy.node1']!.iptables).toBeUndefined();
  });
});

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
