// Adding and removing a leaf of a running star on the real kernel, in both engine modes: the
// executor deletes the leaf's veth without waiting for the kernel's RCU barrier and its owned
// namespace without a process (kernel rtnl_linkdel.py, nlexec.py), so these check what must hold
// whatever the timing: no drift after each apply, the next apply sees nothing half-removed (re-adding
// the same leaf at once works and pings), `ip netns list` and the host's links are exact, and
// destroy leaves nothing. Prefix pmi-e-.
import { afterEach, describe, expect, it } from 'vitest';
import { listNamespaces, runInNamespace } from '@patchbay/kernel';
import type { Lab } from '@patchbay/topology';
import { testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pmi-e-';
let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
});

function star(leaves: number[]): Lab {
  const lab: Lab = { name: 'st', nodes: { br0: { kind: 'bridge' } }, links: [] };
  for (const i of leaves) {
    lab.nodes[`l${i}`] = { kind: 'netns' };
    lab.links.push({
      a: { node: `l${i}`, interface: 'eth0', addresses: [`10.77.0.${i}/24`] },
      b: { node: 'br0', interface: `h${i}` },
    });
  }
  return lab;
}

async function hostLinks(): Promise<string[]> {
  const r = await runInNamespace(`${PREFIX}st._host`, 'ip', ['-br', 'link']);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(/\s+/)[0]!.split('@')[0]!)
    .sort();
}

async function ping(from: number, to: number): Promise<number> {
  const r = await runInNamespace(`${PREFIX}st.l${from}`, 'ping', ['-c1', '-W2', '-n', '-q', `10.77.0.${to}`]);
  return r.code;
}

describe.each([false, true])('removing a leaf and adding it back (watch: %s)', (watch) => {
  it('leaves no drift, nothing half-removed, and exact namespaces and host links', async () => {
    t = testEngine(PREFIX, { watch });
    const { engine } = t;
    await engine.apply(star([1, 2, 3]));
    await engine.apply(star([1, 2, 3])); // watch: the first apply after creating reads everything once
    for (let round = 0; round < 3; round++) {
      const removed = await engine.apply(star([1, 2]));
      expect(removed.drift).toEqual([]);
      expect(removed.ops.map((o) => `${o.phase} ${o.args.join(' ')}`)).toEqual([
        'unlink link del dev h3',
        `unnamespace netns del ${PREFIX}st.l3`,
      ]);
      expect(await listNamespaces(PREFIX)).toEqual([`${PREFIX}st._host`, `${PREFIX}st.l1`, `${PREFIX}st.l2`]);
      expect(await hostLinks()).toEqual(['br0', 'h1', 'h2', 'lo']);
      // a no-op right after: nothing of the removal is seen as drift or planned again
      expect((await engine.apply(star([1, 2]))).ops).toEqual([]);
      const added = await engine.apply(star([1, 2, 3])); // the same names again, at once
      expect(added.drift).toEqual([]);
      expect(await hostLinks()).toEqual(['br0', 'h1', 'h2', 'h3', 'lo']);
      expect(await ping(3, 1)).toBe(0);
    }
    await engine.destroy('st');
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });
});
