// Recovery on the real kernel: a restart re-adopts an applied lab untouched, cleans a half-made
// one and an orphan namespace, and converges back a change interrupted among the lab's own
// namespaces (recorded by the lock file alone). Prefix pblc3-.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { listNamespaces, run, scratchNamespaceName } from '@patchbay/kernel';
import { Engine } from './engine.js';
import { exampleLab, namespaceInode, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pblc3-';
let t: TestEngine | undefined;
afterEach(async () => {
  await t?.cleanup();
});

const ns = (lab: string, node: string) => `${PREFIX}${lab}.${node}`;
const inodes = async (names: string[]) =>
  Object.fromEntries(await Promise.all(names.map(async (n) => [n, await namespaceInode(n)])));

describe('recovery', () => {
  it('a restart re-adopts an applied lab without touching it, and cleans a half-made one', async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(exampleLab('two-containers.yaml'));
    const kept = await inodes(['_host', 'ns-db', 'ns-web'].map((n) => ns('two-containers', n)));
    // A half-made lab: its journal says a first apply was in flight, and one namespace exists.
    await t.engine.journal.write({
      version: 1,
      prefix: PREFIX,
      name: 'half',
      status: 'applying',
      revision: 0,
      pending: exampleLab('two-containers.yaml'),
      namespaces: [ns('half', 'a')],
      updatedAt: '',
    });
    await run('ip', ['netns', 'add', ns('half', 'a')]);
    // And an orphan: an unmarked namespace of this prefix that no journal claims.
    await run('ip', ['netns', 'add', ns('orphan', 'x')]);

    const restarted = new Engine({ prefix: PREFIX, dataDir: t.dataDir });
    const destroyed: string[] = [];
    restarted.on('destroyed', (e) => void destroyed.push(e.lab));
    const report = await restarted.recover();
    expect(report.adopted).toEqual(['two-containers']);
    expect(report.cleaned.sort()).toEqual(['half', 'orphan']);
    expect(destroyed.sort()).toEqual(['half', 'orphan']); // recovery goes through the lifecycle too
    expect(await listNamespaces(PREFIX)).toEqual(['_host', 'ns-db', 'ns-web'].map((n) => ns('two-containers', n)));
    expect(await inodes(Object.keys(kept))).toEqual(kept);
    expect((await restarted.apply(exampleLab('two-containers.yaml'))).ops).toEqual([]);
  });

  it('scratch namespaces a crash left (the capability probe killed mid-probe) are removed by recover; list and destroy agree', async () => {
    t = testEngine(PREFIX);
    // What a SIGKILL during the probe leaves: the scratch namespace of a process that is gone, in
    // today's naming and in the naming of earlier versions (`<prefix>caps-<pid>`, no dot).
    const crashed = spawn('sleep', ['30'], { stdio: 'ignore' });
    const gone = new Promise((resolve) => crashed.once('exit', resolve));
    const pid = crashed.pid!;
    const leftovers = [scratchNamespaceName(PREFIX, 'caps', pid), `${PREFIX}caps-${pid}`];
    for (const n of leftovers) expect((await run('ip', ['netns', 'add', n])).code).toBe(0);
    crashed.kill('SIGKILL');
    await gone;
    // A probe still running (this process's own) is left alone.
    const running = scratchNamespaceName(PREFIX, 'caps');
    expect((await run('ip', ['netns', 'add', running])).code).toBe(0);

    // list shows no lab that destroy would not know.
    const listed = await t.engine.list();
    for (const l of listed) await t.engine.destroy(l.name);
    expect(listed).toEqual([]);

    const report = await t.engine.recover();
    expect(report.scratch.sort()).toEqual(leftovers.sort());
    expect(report.cleaned).toEqual([]);
    expect(await listNamespaces(PREFIX)).toEqual([running]);
  });

  it("a change among the lab's own namespaces writes no `applying` entry; killed mid-way, its lock file tells list and recover", async () => {
    t = testEngine(PREFIX);
    const lab = exampleLab('two-containers.yaml');
    await t.engine.apply(lab);
    const journalPath = t.engine.journal.pathOf(lab.name);
    const statusDuring: string[] = [];
    const during = () =>
      void statusDuring.push((JSON.parse(readFileSync(journalPath, 'utf8')) as { status: string }).status);
    // A link set down: no namespace made, the entry still says applied while the kernel changes.
    const down = structuredClone(lab);
    down.links[0]!.a.up = false;
    await t.engine.apply(down, { onProgress: during });
    // A node added: its namespace must be in the journal before it exists.
    const grown = structuredClone(down);
    grown.nodes['ns-cache'] = { kind: 'netns' };
    await t.engine.apply(grown, { onProgress: during });
    expect(statusDuring.length).toBeGreaterThan(1);
    expect(statusDuring[0]).toBe('applied');
    expect(statusDuring.at(-1)).toBe('applying');

    // What a process killed in the middle of that first change leaves: the new state half made
    // (the link down), the entry at the previous revision, and its lock file with its pid.
    await t.engine.apply(lab);
    const killed = spawn('sleep', ['30'], { stdio: 'ignore' });
    const gone = new Promise((resolve) => killed.once('exit', resolve));
    killed.kill('SIGKILL');
    await gone;
    const web = ns('two-containers', 'ns-web');
    expect((await run('ip', ['-n', web, 'link', 'set', 'veth-web', 'down'])).code).toBe(0);
    writeFileSync(t.engine.journal.lockPathOf(lab.name), String(killed.pid));

    const restarted = new Engine({ prefix: PREFIX, dataDir: t.dataDir });
    expect((await restarted.list()).find((l) => l.name === lab.name)).toMatchObject({
      health: 'applying',
      detail: 'interrupted while applying',
    });
    const report = await restarted.recover();
    expect(report.restored).toEqual([lab.name]);
    expect(report.adopted).toEqual([]);
    const link = JSON.parse((await run('ip', ['-j', '-n', web, 'link', 'show', 'veth-web'])).stdout) as {
      flags: string[];
    }[];
    expect(link[0]!.flags).toContain('UP');
    expect((await restarted.list()).find((l) => l.name === lab.name)?.health).toBe('ok');
    expect((await restarted.apply(lab)).ops).toEqual([]);
  });
});
