// The state view on the real kernel shows the kernel's truth: every route of every table (connected,
// local, blackhole…) with its type, protocol, scope and source, the policy rules, and veth peers
// paired by the peer's namespace as well as its ifindex. Prefix pbview-.
import { afterEach, describe, expect, it } from 'vitest';
import { runInNamespace } from '@patchbay/kernel';
import { labState, namespaceView } from './lab-state.js';
import { exampleLab, exampleText, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbview-';
const A = `${PREFIX}docker-bridge.a`;

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
});

async function applyDockerBridge(): Promise<TestEngine> {
  t = testEngine(PREFIX);
  await t.engine.apply(exampleText('docker-bridge-nat.yaml'));
  return t;
}

describe('state view', () => {
  it('shows connected and local routes, a blackhole route with its type, and the policy rules', async () => {
    const { engine } = await applyDockerBridge();
    // Made by hand, as a learner would in a terminal: not in the lab, shown all the same.
    for (const args of [
      ['route', 'add', 'blackhole', '10.50.0.0/16'],
      ['rule', 'add', 'from', '172.17.0.2', 'lookup', '100', 'pref', '100'],
    ]) {
      const r = await runInNamespace(A, 'ip', args);
      expect(r.stderr).toBe('');
    }
    const a = (await labState(engine, 'docker-bridge')).nodes.find((n) => n.node === 'a')!;
    expect(a.routes).toContainEqual({
      to: '172.17.0.0/16',
      dev: 'eth0',
      table: 'main',
      type: 'unicast',
      protocol: 'kernel',
      scope: 'link',
      src: '172.17.0.2',
    });
    expect(a.routes).toContainEqual(
      expect.objectContaining({ to: 'default', via: '172.17.0.1', dev: 'eth0', table: 'main', type: 'unicast' }),
    );
    expect(a.routes).toContainEqual({
      to: '10.50.0.0/16',
      table: 'main',
      type: 'blackhole',
      protocol: 'boot',
      scope: 'global',
    });
    expect(a.routes).toContainEqual(
      expect.objectContaining({ to: '172.17.0.2/32', dev: 'eth0', table: 'local', type: 'local', scope: 'host' }),
    );
    expect(a.routes).toContainEqual(
      expect.objectContaining({ to: '172.17.255.255/32', table: 'local', type: 'broadcast', src: '172.17.0.2' }),
    );
    // main first, local last
    expect(a.routes[0]!.table).toBe('main');
    expect(a.routes.at(-1)!.table).toBe('local');
    expect(a.rules).toEqual([
      { priority: 0, from: 'all', action: 'lookup', table: 'local' },
      { priority: 100, from: '172.17.0.2/32', action: 'lookup', table: '100' },
      { priority: 32766, from: 'all', action: 'lookup', table: 'main' },
      { priority: 32767, from: 'all', action: 'lookup', table: 'default' },
    ]);
    // One namespace read again (the live tables' delta) is built the same way.
    const delta = await namespaceView(engine, 'docker-bridge', A);
    expect(delta.node!.routes).toEqual(a.routes);
    expect(delta.node!.rules).toEqual(a.rules);
  });

  it('pairs every veth of the example with its peer, in the whole view and in one namespace read alone (the live delta)', async () => {
    const { engine } = await applyDockerBridge();
    const state = await labState(engine, 'docker-bridge');
    const peer = (node: string, iface: string) =>
      state.nodes.find((n) => n.node === node)!.interfaces.find((i) => i.name === iface)!.peer;
    expect(peer('a', 'eth0')).toEqual({ node: 'docker0', interface: 'veth-a' });
    expect(peer('b', 'eth0')).toEqual({ node: 'docker0', interface: 'veth-b' });
    expect(peer('upstream', 'eth0')).toEqual({ node: 'host', interface: 'eth0' });
    expect(peer('host', 'eth0')).toEqual({ node: 'upstream', interface: 'eth0' });
    expect(peer('host', 'veth-a')).toEqual({ node: 'a', interface: 'eth0' });
    // The live tables' delta reads one namespace: its peers are named all the same.
    const delta = await namespaceView(engine, 'docker-bridge', A);
    expect(delta.node!.interfaces.find((i) => i.name === 'eth0')!.peer).toEqual({
      node: 'docker0',
      interface: 'veth-a',
    });
  });

  it('shows each revision of the lab as applied (its journal entry is read and compiled once per revision)', async () => {
    const { engine } = await applyDockerBridge();
    const nodes = async () => (await labState(engine, 'docker-bridge')).nodes.map((n) => n.node);
    expect(await nodes()).not.toContain('c');
    expect(await nodes()).toEqual(await nodes());
    const lab = exampleLab('docker-bridge-nat.yaml');
    lab.nodes['c'] = { kind: 'netns' };
    lab.links.push({
      a: { node: 'c', interface: 'eth0', addresses: ['172.17.0.4/16'] },
      b: { node: 'docker0', interface: 'veth-c' },
    });
    await engine.apply(lab);
    const state = await labState(engine, 'docker-bridge');
    const c = state.nodes.find((n) => n.node === 'c')!;
    expect(c.present).toBe(true);
    expect(c.interfaces.find((i) => i.name === 'eth0')!.peer).toEqual({ node: 'docker0', interface: 'veth-c' });
    // and back: the node removed is gone from the view
    await engine.apply(exampleText('docker-bridge-nat.yaml'));
    expect(await nodes()).not.toContain('c');
  });
});
