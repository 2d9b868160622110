// Destroy on the real kernel: every namespace and the journal go; a namespace of the lab's name
// that another prefix marked is never touched. Prefix pblc2-.
import { afterEach, describe, expect, it } from 'vitest';
import { listNamespaces, run, runInNamespace } from '@patchbay/kernel';
import { exampleLab, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pblc2-';
let t: TestEngine | undefined;
afterEach(async () => {
  await t?.cleanup();
});

describe('destroy', () => {
  it('removes every namespace of the lab and its journal', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(exampleLab('docker-bridge-nat.yaml'));
    expect((await t.engine.list()).map((l) => [l.name, l.health, l.nodes])).toEqual([['docker-bridge', 'ok', 5]]);
    const r = await t.engine.destroy('docker-bridge');
    expect(r.removed).toHaveLength(4);
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await t.engine.list()).toEqual([]);
    await expect(t.engine.entry('docker-bridge')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('kills what still runs in the lab before deleting its namespaces', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(exampleLab('two-containers.yaml'));
    const sleeper = runInNamespace(`${PREFIX}two-containers.ns-web`, 'sleep', ['30'], { timeoutMs: 40_000 });
    await new Promise((r) => setTimeout(r, 100));
    await t.engine.destroy('two-containers');
    const done = await sleeper;
    expect(done.code).not.toBe(0); // killed, not finished
    expect(await listNamespaces(PREFIX)).toEqual([]);
  });

  it('never touches a namespace of its prefix marked by another prefix', async () => {
    t = testEngine(PREFIX);
    // `pblc2-` + lab "t-x" and a foreign prefix `pblc2-t-` + lab "x" share this name; the marker tells them apart.
    const foreign = `${PREFIX}t-x.n`;
    await run('ip', ['netns', 'add', foreign]);
    await runInNamespace(foreign, 'ip', ['link', 'set', 'lo', 'alias', `patchbay:v1:${PREFIX}t-:x:n`]);
    await expect(t.engine.destroy('t-x')).rejects.toMatchObject({ code: 'not-found' });
    expect(await t.engine.list()).toEqual([]);
    await t.engine.recover();
    expect(await listNamespaces(PREFIX)).toEqual([foreign]);
  });
});
