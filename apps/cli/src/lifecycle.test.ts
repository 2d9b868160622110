// export, list, destroy and `apply -` through the real CLI.
import { describe, expect, it } from 'vitest';
import { examplePath, exampleText, ipNetnsList, rootSnapshot, useCliEnv } from './test-helpers.js';

const PREFIX = 'pbc2-';
const t = useCliEnv(PREFIX);

interface ListEntry {
  name: string;
  nodes: number;
  namespaces: number;
  health: string;
  revision: number;
}

async function list(): Promise<ListEntry[]> {
  const r = await t.run(['list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ListEntry[];
}

describe('patchbay export', () => {
  it('prints YAML that, applied again to the same lab, plans nothing', async () => {
    expect((await t.run(['apply', examplePath('vxlan-two-hosts.yaml')])).code).toBe(0);
    const exp = await t.run(['export', 'vxlan-two-hosts']);
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stdout).toMatch(/^name: vxlan-two-hosts$/m);
    expect(exp.stdout).toContain('ov42');

    const file = t.write('exported.yaml', exp.stdout);
    const dry = await t.run(['apply', file, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('vxlan-two-hosts: 0 operation(s) would run');
    const again = await t.run(['apply', file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('vxlan-two-hosts: already up to date (revision 1)');
  });

  it('--script prints the ip/bridge commands that build the lab', async () => {
    expect((await t.run(['apply', examplePath('docker-bridge-nat.yaml')])).code).toBe(0);
    const r = await t.run(['export', 'docker-bridge', '--script']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith('#!/bin/sh\n')).toBe(true);
    expect(r.stdout).toContain('ip netns add pbc2-docker-bridge.host');
    expect(r.stdout).toContain('ip netns add pbc2-docker-bridge.upstream');
    expect(r.stdout).toMatch(/link add/);
    expect(r.stdout).toContain('MASQUERADE');
  });

  it('of an unknown lab exits 1', async () => {
    const r = await t.run(['export', 'no-such-lab']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no lab named no-such-lab');
  });
});

describe('patchbay list and destroy', () => {
  it('list --json shows the lab with its node count and health ok; after destroy it is gone', async () => {
    expect(await list()).toEqual([]);
    expect((await t.run(['apply', examplePath('two-containers.yaml')])).code).toBe(0);
    const labs = await list();
    expect(labs).toHaveLength(1);
    expect(labs[0]).toMatchObject({ name: 'two-containers', nodes: 3, namespaces: 3, health: 'ok', revision: 1 });

    const human = await t.run(['list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^two-containers\s+3\s+3\s+1\s+ok/m);

    const d = await t.run(['destroy', 'two-containers']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain('two-containers: removed 3 namespace(s)');
    expect(await list()).toEqual([]);
    expect((await t.run(['list'])).stdout.trim()).toBe('no labs');
  });

  it("destroy removes every namespace and leaves the machine's own namespace exactly as before", async () => {
    const before = rootSnapshot();
    expect(ipNetnsList(PREFIX)).toEqual([]);
    for (const f of ['vxlan-two-hosts.yaml', 'docker-bridge-nat.yaml']) {
      const r = await t.run(['apply', examplePath(f)]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(ipNetnsList(PREFIX).length).toBe(8);
    expect(rootSnapshot()).toBe(before); // nothing of a lab lands in the root namespace

    // Two names: refused whole (exit 2), not "destroy the first, ignore the second".
    const both = await t.run(['destroy', 'vxlan-two-hosts', 'docker-bridge']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('destroy takes NAME; unexpected "docker-bridge"');
    expect(ipNetnsList(PREFIX).length).toBe(8);

    for (const lab of ['vxlan-two-hosts', 'docker-bridge']) {
      const r = await t.run(['destroy', lab]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(ipNetnsList(PREFIX)).toEqual([]);
    expect(rootSnapshot()).toBe(before);

    const again = await t.run(['destroy', 'docker-bridge']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no lab named docker-bridge');
  });
});

describe('patchbay apply -', () => {
  it('reads the lab from stdin', async () => {
    const r = await t.run(['apply', '-'], exampleText('routed-pods.yaml'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^routed-pods: applied \d+ operation/);
    expect(await t.namespaces()).toEqual([
      'pbc2-routed-pods.node1',
      'pbc2-routed-pods.node2',
      'pbc2-routed-pods.pod-a',
      'pbc2-routed-pods.pod-c',
    ]);
    const again = await t.run(['apply', '-'], exampleText('routed-pods.yaml'));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('routed-pods: already up to date');
    expect((await t.ping('routed-pods', 'pod-a', '10.0.2.2')).code).toBe(0);
  });
});
