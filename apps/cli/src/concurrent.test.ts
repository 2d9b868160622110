// Two CLI processes applying different labs at once, with the same prefix and data folder.
import { describe, expect, it } from 'vitest';
import { examplePath, useCliEnv } from './test-helpers.js';

const PREFIX = 'pbc5-';
const t = useCliEnv(PREFIX);

describe('concurrent applies', () => {
  it('two different labs applied at once both succeed', async () => {
    const [a, b] = await Promise.all([
      t.run(['apply', examplePath('vxlan-two-hosts.yaml')]),
      t.run(['apply', examplePath('docker-bridge-nat.yaml')]),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stdout).toMatch(/^vxlan-two-hosts: applied/);
    expect(b.stdout).toMatch(/^docker-bridge: applied/);

    const list = await t.run(['list', '--json']);
    const labs = JSON.parse(list.stdout) as { name: string; health: string; nodes: number }[];
    expect(labs.map((l) => [l.name, l.health, l.nodes])).toEqual([
      ['docker-bridge', 'ok', 5],
      ['vxlan-two-hosts', 'ok', 6],
    ]);
    expect((await t.ping('vxlan-two-hosts', 'c1', '10.1.0.3')).code).toBe(0);
    expect((await t.ping('docker-bridge', 'a', '203.0.113.1')).code).toBe(0);

    // and both are up to date afterwards: neither apply disturbed the other
    const [a2, b2] = await Promise.all([
      t.run(['apply', examplePath('vxlan-two-hosts.yaml')]),
      t.run(['apply', examplePath('docker-bridge-nat.yaml')]),
    ]);
    expect(a2.stdout).toContain('already up to date');
    expect(b2.stdout).toContain('already up to date');
  });

  it('the same lab applied twice at once: one creates it, the other finds it up to date', async () => {
    const rs = await Promise.all([1, 2].map(() => t.run(['apply', examplePath('routed-pods.yaml')])));
    for (const r of rs) expect(r.code, r.stderr).toBe(0);
    const outs = rs.map((r) => r.stdout);
    expect(outs.filter((o) => /^routed-pods: applied \d+ operation/.test(o))).toHaveLength(1);
    expect(outs.filter((o) => /^routed-pods: already up to date/.test(o))).toHaveLength(1);
    expect(await t.namespaces()).toHaveLength(4);
  });
});
