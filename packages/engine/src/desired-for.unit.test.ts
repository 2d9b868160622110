// desiredFor (pure): a namespace whose tables the previous revision managed gets default tables
// back, whether the previous revision's managed tables come from its journal entry (what an apply
// writes now) or are compiled again from its lab (an entry written before the journal kept them).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLabText, type Lab } from '@patchbay/topology';
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
