// Firewall rules and NetworkPolicies on the real kernel (prefix pbfw-): a policy lets one pod reach
// another on one bridge (bridged traffic, br_netfilter + physdev) and stops the rest; a node's
// firewall rule drops what it names; applying again changes nothing; changing one rule rewrites only
// its chain (the policy chains keep their counters); removing both empties the tables; destroy
// leaves nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { execInNamespace, listNamespaces, runInNamespace } from '@patchbay/kernel';
import type { FirewallRuleSpec, Lab, NetworkPolicySpec } from '@patchbay/topology';
import { ping, rootSnapshot, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbfw-';
const HOST = `${PREFIX}fwpol.h`;
const A = `${PREFIX}fwpol.a`;
const C = `${PREFIX}fwpol.c`;

const WEB_INGRESS: NetworkPolicySpec = {
  name: 'web-ingress',
  podSelector: { matchLabels: { app: 'web' } },
  ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }],
};

function lab(firewall: FirewallRuleSpec[], policies: NetworkPolicySpec[]): Lab {
  const pod = (n: string, i: number) => ({ node: n, interface: 'eth0', addresses: [`10.78.1.${10 + i}/24`] });
  return {
    name: 'fwpol',
    nodes: {
      h: { kind: 'host', firewall },
      br0: { kind: 'bridge', host: 'h', addresses: ['10.78.1.1/24'] },
      a: { kind: 'netns', labels: { app: 'client' } },
      b: { kind: 'netns', labels: { app: 'web' }, run: ['nc -lk 8080'] },
      c: { kind: 'netns' },
    },
    links: [
      { a: pod('a', 0), b: { node: 'br0', interface: 'va' } },
      { a: pod('b', 1), b: { node: 'br0', interface: 'vb' } },
      { a: pod('c', 2), b: { node: 'br0', interface: 'vc' } },
    ],
    policies,
  };
}

/** Whether a TCP connection from `ns` to ip:port is accepted within a second. */
async function connects(ns: string, ip: string, port: number): Promise<boolean> {
  const r = await execInNamespace(ns, ['nc', '-z', '-w', '1', ip, String(port)], { stdio: 'pipe' });
  return r.code === 0;
}

async function eventually(check: () => Promise<boolean>, tries = 60): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 150));
  }
  return false;
}

const save = async (ns: string, ...args: string[]) => (await runInNamespace(ns, 'iptables-save', args)).stdout;

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
});

describe('firewall rules and NetworkPolicies on the real kernel', () => {
  it('allow and deny as written, between pods on one bridge too; one rule changed rewrites one chain; removed, nothing stays', async () => {
    const before = await rootSnapshot();
    t = testEngine(PREFIX);
    const dropC: FirewallRuleSpec = {
      chain: 'INPUT',
      protocol: 'icmp',
      source: '10.78.1.12',
      action: 'DROP',
      comment: 'no ping from c',
    };
    const first = await t.engine.apply(lab([dropC], [WEB_INGRESS]));
    expect(first.drift).toEqual([]);
    // Bridged traffic goes through iptables in this namespace (br_netfilter): the policy relies on it.
    expect((await runInNamespace(HOST, 'sysctl', ['-n', 'net.bridge.bridge-nf-call-iptables'])).stdout.trim()).toBe(
      '1',
    );
    const filter = await save(HOST, '-t', 'filter');
    expect(filter).toContain(
      '-A cali-to-wl-dispatch -o br0 -m physdev --physdev-out vb --physdev-is-bridged -j cali-tw-vb',
    );
    expect(filter).toContain('-A INPUT -s 10.78.1.12/32 -p icmp -m comment --comment "no ping from c" -j DROP');

    // The policy: a (app=client) reaches b's port 8080 across the bridge; c does not; nor does a ping.
    const okAB = await eventually(() => connects(A, '10.78.1.11', 8080));
    expect(okAB).toBe(true);
    expect(await connects(C, '10.78.1.11', 8080)).toBe(false);
    expect(await ping(A, '10.78.1.11')).toBe(false);
    expect(await ping(C, '10.78.1.10')).toBe(true); // a is selected by no policy: open
    // The firewall rule: c cannot ping the host, a can.
    expect(await ping(C, '10.78.1.1')).toBe(false);
    expect(await ping(A, '10.78.1.1')).toBe(true);

    // What was applied reads back as written: nothing to do.
    expect((await t.engine.apply(lab([dropC], [WEB_INGRESS]))).ops).toEqual([]);

    // One rule changed: only filter INPUT is rewritten; the policy chain keeps its counters.
    const counters = async () =>
      (await save(HOST, '-c', '-t', 'filter')).split('\n').find((l) => l.includes('policy web-ingress ingress[0]'));
    const counted = await counters();
    expect(counted).toMatch(/^\[[1-9]\d*:\d+\]/);
    const dropA = { ...dropC, source: '10.78.1.10', comment: 'no ping from a' };
    const changed = await t.engine.apply(lab([dropA], [WEB_INGRESS]));
    const restores = changed.ops.filter((o) => o.tool === 'iptables');
    expect(restores).toHaveLength(1);
    expect(restores[0]!.args).toEqual(['iptables-restore', '--noflush']);
    expect(restores[0]!.input).toBe(
      '*filter\n:INPUT ACCEPT [0:0]\n-F INPUT\n-A INPUT -j cali-INPUT\n-A INPUT -s 10.78.1.10/32 -p icmp -m comment --comment "no ping from a" -j DROP\nCOMMIT\n',
    );
    expect(await counters()).toBe(counted);
    expect(await ping(A, '10.78.1.1')).toBe(false);
    expect(await ping(C, '10.78.1.1')).toBe(true);

    // Both removed: the tables are the defaults again and everything is open.
    const open = await t.engine.apply(lab([], []));
    expect(open.ops.filter((o) => o.tool === 'iptables')).toHaveLength(1);
    expect(await save(HOST, '-t', 'filter')).not.toMatch(/cali-|^-A/m);
    expect(await ping(A, '10.78.1.11')).toBe(true);
    expect(await ping(C, '10.78.1.1')).toBe(true);
    expect(await connects(C, '10.78.1.11', 8080)).toBe(true);

    await t.engine.destroy('fwpol');
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await rootSnapshot()).toBe(before);
  });
});
