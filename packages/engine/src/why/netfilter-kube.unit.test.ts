// The walk's iptables reader on kube-proxy's chains as Patchbay compiles them (the example's
// Service): the ClusterIP is DNATed to one of both endpoints (the random pick says both, 50 % each),
// the NodePort and hairpin traffic get kube-proxy's 0x4000 mark, and KUBE-POSTROUTING masquerades
// only marked packets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, parseLabText } from '@patchbay/topology';
import { describe, expect, it } from 'vitest';
import { parseRuleTable, runRuleChain, type MatchContext } from './netfilter-rules.js';
import { choicesText } from './netfilter.js';
import type { Packet } from './walk-types.js';

const text = readFileSync(join(import.meta.dirname, '../../../../examples/kubernetes-service.yaml'), 'utf8');
const lab = parseLabText(text).lab!;
const nat = parseRuleTable(compile(lab, 'pb-').namespaces['pb-k8s-service.node1']!.iptables!.nat);
const LOCAL = new Set(['10.244.1.1', '192.168.50.1']);

function ctx(p: Partial<Packet>, iif = 'cbr0', oif?: string): MatchContext {
  return {
    packet: { src: '10.244.1.4', dst: '10.96.0.10', proto: 'tcp', port: 80, size: 60, df: true, ...p },
    iif,
    ...(oif ? { oif } : {}),
    state: 'NEW',
    isLocal: (a) => LOCAL.has(a),
    addressOf: (dev) => (dev === 'cbr0' ? '10.244.1.1' : dev === 'eth1' ? '192.168.50.1' : undefined),
  };
}

describe('kube-proxy chains in the walk', () => {
  it('DNATs a ClusterIP connection to one of the endpoints and names both with their chances', () => {
    const v = runRuleChain(nat, 'PREROUTING', ctx({}));
    expect(v.translation).toBe('DNAT');
    expect(v.unknown).toEqual([]);
    expect(v.packet).toMatchObject({ dst: '10.244.1.2', port: 8080 });
    expect(v.choices!.map((c) => [c.packet.dst, c.packet.port, c.probability])).toEqual([
      ['10.244.1.2', 8080, 0.5],
      ['10.244.1.3', 8080, 0.5],
    ]);
    expect(v.packet.mark ?? 0).toBe(0); // a pod's connection to another pod is not masqueraded
    expect(choicesText(v)).toContain('10.244.1.2:8080 (50%), 10.244.1.3:8080 (50%)');
  });

  it('marks NodePort traffic and hairpin traffic for masquerade, and KUBE-POSTROUTING masquerades it', () => {
    const nodePort = runRuleChain(
      nat,
      'PREROUTING',
      ctx({ src: '192.168.50.2', dst: '192.168.50.1', port: 30080 }, 'eth1'),
    );
    expect(nodePort.translation).toBe('DNAT');
    expect(nodePort.packet.mark).toBe(0x4000);
    const hairpin = runRuleChain(nat, 'PREROUTING', ctx({ src: '10.244.1.2' }));
    expect(hairpin.choices![0]!.packet).toMatchObject({ dst: '10.244.1.2', mark: 0x4000 });
    const post = runRuleChain(nat, 'POSTROUTING', { ...ctx({ ...nodePort.packet }), oif: 'cbr0' });
    expect(post).toMatchObject({ translation: 'MASQUERADE', packet: { src: '10.244.1.1' } });
    const plain = runRuleChain(nat, 'POSTROUTING', { ...ctx({ dst: '10.244.1.3', port: 8080 }), oif: 'cbr0' });
    expect(plain.translation).toBeUndefined();
  });
});
