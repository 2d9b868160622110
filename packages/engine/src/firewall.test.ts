// Firewall rules and NetworkPolicies on the real kernel (prefix pbfw-): a policy lets one pod reach
// another on one bridge (bridged traffic, br_netfilter + physdev) and stops the rest; a node's
// firewall rule drops what it names; applying again changes nothing; changing one rule rewrites only
// its chain (the policy chains keep their counters); removing both empties the tables; destroy
// leaves nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteNamespaces, execInNamespace, listNamespaces, run, runInNamespace } from '@patchbay/kernel';
import type { FirewallRuleSpec, Lab, NetworkPolicySpec } from '@patchbay/topology';
import { scriptFor } from './lab-export.js';
import { explainPath } from './why/explain.js';
import { exampleLab, ping, rootSnapshot, testEngine, type TestEngine } from './test-support.js';

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
let dir: string | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
  await deleteNamespaces(await listNamespaces(PREFIX));
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
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

    // why names the policy chain's rule that drops c's bridged connection, and lets a's through.
    const denied = await explainPath(t.engine, 'fwpol', { from: 'c', to: 'b', proto: 'tcp', port: 8080, probe: false });
    expect(denied.reachable).toBe(false);
    expect(denied.blocked).toMatchObject({
      node: 'h',
      reason: 'filtered',
      rule: { table: 'filter', chain: 'cali-tw-vb' },
    });
    expect(denied.blocked!.rule!.rule).toContain('default deny: no ingress policy allowed it');
    expect(denied.blocked!.fix).toContain('NetworkPolicy');
    const allowed = await explainPath(t.engine, 'fwpol', {
      from: 'a',
      to: 'b',
      proto: 'tcp',
      port: 8080,
      probe: false,
    });
    expect(allowed.reachable, JSON.stringify(allowed.blocked)).toBe(true);

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

describe('examples/network-policy.yaml', () => {
  const api = `${PREFIX}network-policy.api`;
  const web = `${PREFIX}network-policy.web`;
  const db = '10.81.0.20';
  it('applied: only app=api reaches db:5432; node1 answers pings from the pods only', async () => {
    const before = await rootSnapshot();
    t = testEngine(PREFIX);
    expect((await t.engine.apply(exampleLab('network-policy.yaml'))).drift).toEqual([]);
    expect(await eventually(() => connects(api, db, 5432))).toBe(true);
    expect(await connects(web, db, 5432)).toBe(false);
    expect(await ping(web, '10.81.0.1')).toBe(true);
    expect((await t.engine.apply(exampleLab('network-policy.yaml'))).ops).toEqual([]);
    await t.engine.destroy('network-policy');
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await rootSnapshot()).toBe(before);
  });

  it('export --script loads the same chains with iptables-restore, and they behave the same', async () => {
    const before = await rootSnapshot();
    const script = scriptFor(exampleLab('network-policy.yaml'), PREFIX);
    expect(script).toContain(`ip netns exec ${PREFIX}network-policy.node1 iptables-restore --noflush <<'EOF'`);
    dir = mkdtempSync(join(tmpdir(), 'pbfw-script-'));
    writeFileSync(join(dir, 'lab.sh'), script);
    const r = await run('sh', ['-e', join(dir, 'lab.sh')]);
    expect(
      r.stderr
        .split('\n')
        .filter((l) => /RTNETLINK|Cannot|rror|fail|not found|denied/.test(l) && !/fdb_max_learned/.test(l)),
    ).toEqual([]);
    expect(r.code).toBe(0);
    const filter = await save(`${PREFIX}network-policy.node1`, '-t', 'filter');
    expect(filter).toContain(
      '-A cali-tw-veth-db -s 10.81.0.10/32 -p tcp -m comment --comment "policy db-ingress ingress[0]" -m tcp --dport 5432 -j RETURN',
    );
    // The policy, loaded by the script: web may not reach db; db (not isolated for egress) reaches web.
    expect(await ping(web, db)).toBe(false);
    expect(await ping(`${PREFIX}network-policy.db`, '10.81.0.11')).toBe(true);
    await deleteNamespaces(await listNamespaces(PREFIX));
    expect(await rootSnapshot()).toBe(before);
  });
});
