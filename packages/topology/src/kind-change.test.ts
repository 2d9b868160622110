// A node whose kind changes is planned as a new namespace: deleted, made again with the ownership of
// its new kind, and everything in it (and the far ends of its veths) made again.
import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { diff } from './diff.js';
import { kindChangedNamespaces } from './kind-change.js';
import type { Lab } from './model.js';
import { opCommand } from './plan-types.js';
import { plan } from './plan.js';
import { resolveVethPeers } from './peers.js';
import type { DesiredState, KernelState } from './state.js';

const P = 'pb-';
function lab(aKind: 'netns' | 'router' | 'host'): Lab {
  return {
    name: 'k',
    nodes: { a: { kind: aKind }, b: { kind: 'netns' } },
    links: [
      {
        a: { node: 'a', interface: 'eth0', addresses: ['10.9.0.1/24'] },
        b: { node: 'b', interface: 'eth0', addresses: ['10.9.0.2/24'] },
      },
    ],
  };
}

/** What the kernel reports after applying `d`: veths with ifindexes, peers resolved, ownership read. */
function asObserved(d: DesiredState): KernelState {
  const s = structuredClone<KernelState>({ namespaces: d.namespaces });
  s.namespaces['pb-k.a']!.links.eth0 = { ...s.namespaces['pb-k.a']!.links.eth0!, ifindex: 7, peerIfindex: 9 };
  s.namespaces['pb-k.b']!.links.eth0 = { ...s.namespaces['pb-k.b']!.links.eth0!, ifindex: 9, peerIfindex: 7 };
  for (const ns of Object.values(s.namespaces)) {
    ns.owned = !!ns.owned;
    for (const l of Object.values(ns.links)) if (l.veth) l.peerElsewhere = true;
  }
  resolveVethPeers(s, { complete: true });
  return s;
}

describe('kind changes', () => {
  it('kindChangedNamespaces names the nodes whose kind changed, not bridges or new nodes', () => {
    expect([...kindChangedNamespaces(lab('netns'), lab('host'), P)]).toEqual(['pb-k.a']);
    expect([...kindChangedNamespaces(lab('netns'), lab('netns'), P)]).toEqual([]);
    expect([...kindChangedNamespaces(undefined, lab('host'), P)]).toEqual([]);
  });

  it('netns → host: the namespace is deleted and made again unowned, the far end re-created and configured', () => {
    const before = asObserved(compile(lab('netns'), P));
    const replace = kindChangedNamespaces(lab('netns'), lab('host'), P);
    const ops = plan(diff(compile(lab('host'), P), before, { replace })).ops;
    const cmds = ops.map(opCommand);
    // The veth goes first (the kernel destroys a deleted namespace later, in its own time).
    expect(cmds.slice(0, 3)).toEqual(['ip -n pb-k.a link del dev eth0', 'ip netns del pb-k.a', 'ip netns add pb-k.a']);
    expect(ops[0]!.reason).toMatch(/namespace is made again/);
    expect(ops[1]!.reason).toMatch(/changed kind/);
    expect(cmds).toContain(
      'ip -n pb-k.a link add eth0 index 1000000 type veth peer index 2000000 name eth0 netns pb-k.b',
    );
    expect(cmds).toContain('ip -n pb-k.a addr add 10.9.0.1/24 dev eth0');
    expect(cmds).toContain('ip -n pb-k.b addr add 10.9.0.2/24 dev eth0'); // the far end is new too
    expect(cmds.filter((c) => c.includes('link del'))).toHaveLength(1); // the far end goes with it
  });

  it('a namespace observed with other ownership than desired is replaced too (made before ownership)', () => {
    const before = asObserved(compile(lab('netns'), P));
    before.namespaces['pb-k.a']!.owned = false;
    const cmds = plan(diff(compile(lab('netns'), P), before)).ops.map(opCommand);
    expect(cmds.slice(0, 3)).toEqual([
      'ip -n pb-k.a link del dev eth0',
      'ip netns del pb-k.a',
      'ip netns add pb-k.a  # owned by its own user namespace (nsowner.py)',
    ]);
    // Ownership not observed (undefined): nothing to do.
    const unknown = asObserved(compile(lab('netns'), P));
    for (const ns of Object.values(unknown.namespaces)) delete ns.owned;
    expect(plan(diff(compile(lab('netns'), P), unknown)).ops).toEqual([]);
  });

  it('an unchanged lab with ownership observed plans nothing', () => {
    const d = compile(lab('router'), P);
    expect(plan(diff(d, asObserved(d))).ops).toEqual([]);
  });
});
