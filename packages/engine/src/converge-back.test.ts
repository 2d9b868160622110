// Converging back on the real kernel: a kernel failure mid-apply stops, undoes exactly this run's
// steps (the state observed before it is restored), reports the failed command, and leaves the
// journal at the last applied revision. Prefix pblc7-.
import { afterEach, describe, expect, it } from 'vitest';
import { listNamespaces, observeNamespaces, runInNamespace } from '@patchbay/kernel';
import { ApplyError } from './converge-back.js';
import { exampleLab, ping, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pblc7-';
let t: TestEngine | undefined;
afterEach(async () => {
  await t?.cleanup();
});

const ns = (lab: string, node: string) => `${PREFIX}${lab}.${node}`;

describe('failures', () => {
  it("a kernel failure mid-apply stops, undoes this run's steps and reports the command", async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(exampleLab('two-containers.yaml'));
    const web = ns('two-containers', 'ns-web');
    const before = await observeNamespaces(await listNamespaces(PREFIX));
    const lab = exampleLab('two-containers.yaml');
    lab.links[1]!.a.addresses = ['192.168.100.21/24']; // done before the failure, must be undone
    lab.nodes['ns-extra'] = { kind: 'netns' };
    lab.links.push({ a: { node: 'ns-web', interface: 'eth9' }, b: { node: 'ns-extra', interface: 'eth0' } });
    const events: string[] = [];
    t.engine.on('removing', (e) => void events.push(`removing ${e.reason} ${e.namespaces.join(',')}`));
    t.engine.on('applied', (e) => void events.push(`applied ${e.revision}`));
    // Someone else creates eth9 between plan and execution: the kernel refuses the veth.
    const err = await t.engine
      .apply(lab, {
        onPlan: async () => void (await runInNamespace(web, 'ip', ['link', 'add', 'eth9', 'type', 'bridge'])),
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    const failure = (err as ApplyError).failure;
    expect(failure.command).toContain('name eth9 netns');
    expect(failure.error).toMatch(/exists/i);
    expect(failure.rolledBack).toBe(true);
    const after = await observeNamespaces(await listNamespaces(PREFIX));
    expect(Object.keys(after.namespaces)).toEqual(Object.keys(before.namespaces));
    for (const [name, state] of Object.entries(before.namespaces)) {
      const links = (s: typeof state) =>
        Object.values(s.links)
          .map((l) => [l.name, l.addresses, l.up, l.master])
          .sort();
      expect(links(after.namespaces[name]!)).toEqual(links(state));
      expect(after.namespaces[name]!.routes).toEqual(state.routes);
    }
    // The namespace the failed run created went the safe way; no applied event for a failed apply.
    expect(events).toEqual([`removing rollback ${ns('two-containers', 'ns-extra')}`]);
    const entry = await t.engine.entry('two-containers');
    expect(entry).toMatchObject({ status: 'applied', revision: 1 });
    expect(await ping(web, '192.168.100.20')).toBe(true);
  });
});
