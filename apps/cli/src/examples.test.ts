// Every example lab of the repository (examples/) applies with the real CLI, re-applies as a no-op, and behaves as its
// comment says, proven by pings through `patchbay exec`.
import { describe, expect, it } from 'vitest';
import { examplePath, exampleText, useCliEnv } from './test-helpers.js';

const PREFIX = 'pbc1-';
const t = useCliEnv(PREFIX);

async function applyTwice(file: string, lab: string): Promise<void> {
  const first = await t.run(['apply', examplePath(file)]);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(new RegExp(`^${lab}: applied \\d+ operation`));
  const again = await t.run(['apply', examplePath(file)]);
  expect(again.code).toBe(0);
  expect(again.stdout).toContain(`${lab}: already up to date`);
  const json = await t.run(['apply', examplePath(file), '--json']);
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout).ops).toEqual([]);
}

async function expectPing(lab: string, node: string, ip: string): Promise<void> {
  const r = await t.ping(lab, node, ip);
  expect(r.code, `${node} → ${ip}: ${r.stdout}${r.stderr}`).toBe(0);
  expect(r.stdout).toContain(`from ${ip}`);
}

interface StateJson {
  nodes: { node: string; interfaces: { name: string; mac?: string }[]; nat?: { nat: string[]; filter: string[] } }[];
  bridges: { bridge: string; fdb: { mac: string; port: string; dst?: string }[] }[];
}

async function state(lab: string): Promise<StateJson> {
  const r = await t.run(['state', lab, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StateJson;
}

describe('spec examples through the CLI', () => {
  it('two-containers: ns-web ↔ ns-db over br0, and the bridge address answers', async () => {
    await applyTwice('two-containers.yaml', 'two-containers');
    const nss = await t.namespaces();
    expect(nss).toHaveLength(3); // ns-web, ns-db and the implicit host of br0
    expect(nss).toEqual(expect.arrayContaining(['pbc1-two-containers.ns-db', 'pbc1-two-containers.ns-web']));
    for (const n of nss) expect(n.startsWith('pbc1-two-containers.')).toBe(true);
    await expectPing('two-containers', 'ns-web', '192.168.100.20');
    await expectPing('two-containers', 'ns-db', '192.168.100.10');
    await expectPing('two-containers', 'ns-web', '192.168.100.1');
    await expectPing('two-containers', 'ns-db', '192.168.100.1');
    // An address nobody has does not answer (the pings above prove something real).
    expect(
      (await t.run(['exec', 'two-containers', 'ns-web', '--', 'ping', '-n', '-c', '1', '-W', '1', '192.168.100.99']))
        .code,
    ).not.toBe(0);
  });

  it('docker-bridge-nat: containers talk, and reach upstream only through the MASQUERADE rule', async () => {
    await applyTwice('docker-bridge-nat.yaml', 'docker-bridge');
    await expectPing('docker-bridge', 'a', '172.17.0.3');
    await expectPing('docker-bridge', 'b', '172.17.0.2');
    await expectPing('docker-bridge', 'a', '203.0.113.1');

    const host = (await state('docker-bridge')).nodes.find((n) => n.node === 'host');
    expect(host?.nat?.nat).toContain('-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE');

    // Without the nat line: upstream has no route back to 172.17.0.0/16, so no reply comes.
    const original = exampleText('docker-bridge-nat.yaml');
    const withoutNat = original
      .split('\n')
      .filter((l) => !/^\s*nat:/.test(l))
      .join('\n');
    expect(withoutNat).not.toEqual(original);
    const noNat = await t.run(['apply', t.write('no-nat.yaml', withoutNat)]);
    expect(noNat.code, noNat.stderr).toBe(0);
    expect(noNat.stdout).toMatch(/docker-bridge: applied \d+ operation/);
    const hostAfter = (await state('docker-bridge')).nodes.find((n) => n.node === 'host');
    expect((hostAfter?.nat?.nat ?? []).join('\n')).not.toContain('MASQUERADE');
    const blocked = await t.run([
      'exec',
      'docker-bridge',
      'a',
      '--',
      'ping',
      '-n',
      '-c',
      '1',
      '-W',
      '1',
      '203.0.113.1',
    ]);
    expect(blocked.code).not.toBe(0);
    // The containers themselves still reach each other: only NAT changed.
    await expectPing('docker-bridge', 'a', '172.17.0.3');

    const back = await t.run(['apply', examplePath('docker-bridge-nat.yaml')]);
    expect(back.code, back.stderr).toBe(0);
    await expectPing('docker-bridge', 'a', '203.0.113.1');
  });

  it('routed-pods: pods on different hosts reach each other over /32 routes', async () => {
    await applyTwice('routed-pods.yaml', 'routed-pods');
    await expectPing('routed-pods', 'pod-a', '10.0.2.2');
    await expectPing('routed-pods', 'pod-c', '10.0.1.2');
  });

  it("vxlan-two-hosts: c1 reaches c2 over VNI 42 and br-a learns c2's MAC on the VTEP", async () => {
    await applyTwice('vxlan-two-hosts.yaml', 'vxlan-two-hosts');
    await expectPing('vxlan-two-hosts', 'c1', '10.1.0.3');
    await expectPing('vxlan-two-hosts', 'c2', '10.1.0.2');

    const s = await state('vxlan-two-hosts');
    const c2mac = s.nodes.find((n) => n.node === 'c2')?.interfaces.find((i) => i.name === 'eth0')?.mac;
    expect(c2mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const brA = s.bridges.find((b) => b.bridge === 'br-a');
    expect(brA).toBeDefined();
    expect(brA!.fdb).toContainEqual(expect.objectContaining({ mac: c2mac, port: 'ov42' }));
    // and the VXLAN device itself knows where that MAC lives: host-b's underlay address
    expect(brA!.fdb).toContainEqual(expect.objectContaining({ mac: c2mac, port: 'ov42', dst: '192.168.1.11' }));
  });
});
