// `run:` processes on the real kernel (prefix pbrp-): a node's web server answers another node;
// changing its line replaces it, removing it stops it, destroy leaves nothing of ours running.
// The processes run in the node's sandbox: not root on the machine (the node's own host uid, or
// the unprivileged step uid in a host node), unable to read /etc/shadow, in the lab's cgroup.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SANDBOX_HOST_UID,
  ownedNamespaceUid,
  pidsInNamespaces,
  processStartTime,
  sandboxGroupPids,
} from '@patchbay/kernel';
import { parseLabText, type Lab } from '@patchbay/topology';
import { Engine } from './engine.js';
import { page } from './http-pages.js';
import { labState } from './lab-state.js';
import { processDir } from './run-processes.js';
import { labSandboxGroup } from './sandbox-groups.js';
import { testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbrp-';
const NS = (node: string) => `${PREFIX}rp.${node}`;
const isRoot = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const WEB = (v: string) => `echo hello-${v} > index.html && exec python3 -m http.server 80`; // port 80: NET_BIND_SERVICE in the node only
const HOST_WEB = 'echo from-host > index.html && exec python3 -m http.server 81';
function lab(server: string[], host: string[] | null = [HOST_WEB], serverKind = 'netns'): Lab {
  const text = JSON.stringify({
    name: 'rp',
    nodes: {
      server: { kind: serverKind, run: server },
      client: { kind: 'netns' },
      ...(host ? { h: { kind: 'host', run: host } } : {}),
    },
    links: [
      {
        a: { node: 'server', interface: 'eth0', addresses: ['10.77.0.1/24'] },
        b: { node: 'client', interface: 'eth0', addresses: ['10.77.0.2/24'] },
      },
      ...(host
        ? [
            {
              a: { node: 'h', interface: 'eth0', addresses: ['10.77.1.1/24'] },
              b: { node: 'client', interface: 'eth1', addresses: ['10.77.1.2/24'] },
            },
          ]
        : []),
    ],
  });
  const { lab: parsed, problems } = parseLabText(text);
  if (!parsed || problems.length) throw new Error(JSON.stringify(problems));
  return parsed;
}

/** The page the server node answers, as the client node gets it ('' when nothing answers). */
const fetchPage = (url = 'http://10.77.0.1/index.html') => page(NS('client'), url);

async function pageBecomes(expected: string, ms = 8000, url?: string): Promise<string> {
  let page = '';
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
    page = await fetchPage(url);
    if (page === expected) break;
  }
  return page;
}

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
};
const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
/** Processes in `ns` whose command line starts with `text` (the command itself, not the sandbox around it). */
async function processesIn(ns: string, text: string): Promise<number[]> {
  return [...(await pidsInNamespaces([ns])).keys()].filter((p) => cmdline(p).startsWith(text));
}
/** Every process on the machine that has `text` in its command line (the supervisors name the data folder). */
function processesMentioning(text: string): number[] {
  return readdirPids().filter((p) => cmdline(p).includes(text));
}
function readdirPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

describe.skipIf(!isRoot)('run: processes in nodes', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = testEngine(PREFIX);
    await t.cleanup();
    t = testEngine(PREFIX);
  });
  afterAll(async () => {
    await t.engine.destroy('rp').catch(() => undefined);
    for (const pid of processesMentioning(t.dataDir)) process.kill(pid, 'SIGKILL');
    await t.cleanup();
  });

  it('starts each line sandboxed once the node is wired, and another node gets its answer', async () => {
    const r = await t.engine.apply(lab([WEB('v1'), 'cat /etc/shadow; echo shadow-exit=$?']));
    const started = r.ops.filter((o) => o.kind === 'process');
    expect(started.map((o) => `${o.phase} ${o.subject.node} ${o.args[2]}`).sort()).toEqual([
      `process h ${HOST_WEB}`,
      'process server cat /etc/shadow; echo shadow-exit=$?',
      `process server ${WEB('v1')}`,
    ]);
    expect(r.ops.at(-1)!.phase).toBe('process'); // after everything else
    expect(await pageBecomes('hello-v1')).toBe('hello-v1');

    // not root: the node's own host uid (netns), the unprivileged step uid (host)
    const [web] = await processesIn(NS('server'), 'python3 -m http.server');
    expect(web).toBeDefined();
    const nodeUid = await ownedNamespaceUid(NS('server'));
    expect(uidOf(web!)).toBe(nodeUid);
    expect(uidOf(web!)).not.toBe(0);
    const [sleeper] = await processesIn(NS('h'), 'python3 -m http.server 81');
    expect(uidOf(sleeper!)).toBe(SANDBOX_HOST_UID);
    expect(await pageBecomes('from-host', 8000, 'http://10.77.1.1:81/index.html')).toBe('from-host'); // a low port in a host node too
    // in the lab's cgroup
    expect(sandboxGroupPids(labSandboxGroup(PREFIX, 'rp'))).toEqual(expect.arrayContaining([web, sleeper]));

    // the state shows each process, its state and output; the shadow file was not readable
    let server = (await labState(t.engine, 'rp')).nodes.find((n) => n.node === 'server')!;
    for (let i = 0; i < 40 && !server.processes?.some((p) => p.output.includes('shadow-exit')); i++) {
      await sleep(100);
      server = (await labState(t.engine, 'rp')).nodes.find((n) => n.node === 'server')!;
    }
    const shadow = server.processes!.find((p) => p.command.startsWith('cat'))!;
    expect(shadow.output).toMatch(/shadow-exit=1/);
    expect(shadow.output).not.toMatch(/root:/);
    expect(shadow).toMatchObject({ state: 'exited', code: 0 });
    const webView = server.processes!.find((p) => p.command.includes('python3 -m http.server'))!;
    expect(webView).toMatchObject({ state: 'running', name: 'run-1' });
    expect(webView.output).toMatch(/GET \/index.html/); // the server's log of our request
  });

  it('keeps an unchanged line running, restarts a changed one, starts again one that exited', async () => {
    const before = (await processesIn(NS('server'), 'python3 -m http.server'))[0]!;
    const sleeper = (await processesIn(NS('h'), 'python3 -m http.server 81'))[0]!;
    // another engine on the same data folder (a restarted server, a later CLI) sees what runs
    const later = new Engine({ prefix: PREFIX, dataDir: t.dataDir });
    const r = await later.apply(lab([WEB('v2'), 'cat /etc/shadow; echo shadow-exit=$?']));
    expect(r.ops.map((o) => `${o.phase} ${o.args[2]}`).sort()).toEqual([
      'process cat /etc/shadow; echo shadow-exit=$?', // it had exited
      `process ${WEB('v2')}`,
      'unprocess cat /etc/shadow; echo shadow-exit=$?',
      `unprocess ${WEB('v1')}`,
    ]);
    expect(processStartTime(before)).toBeUndefined();
    expect(await pageBecomes('hello-v2')).toBe('hello-v2');
    expect(processStartTime(sleeper)).toBeDefined(); // the host's line did not change
  });

  it('stops a removed line: nothing listens any more', async () => {
    const r = await t.engine.apply(lab([]));
    expect(r.ops.filter((o) => o.phase === 'unprocess')).toHaveLength(2);
    expect(await processesIn(NS('server'), 'python3 -m http.server')).toEqual([]);
    expect(await fetchPage()).toBe('');
    const server = (await labState(t.engine, 'rp')).nodes.find((n) => n.node === 'server')!;
    expect(server.processes).toBeUndefined();
  });

  it("a node whose kind changes runs its lines again in its new namespace; a removed node's stop first", async () => {
    await t.engine.apply(lab([WEB('v4')]));
    expect(await pageBecomes('hello-v4')).toBe('hello-v4');
    const before = (await processesIn(NS('server'), 'python3 -m http.server'))[0]!;
    const sleeper = (await processesIn(NS('h'), 'python3 -m http.server 81'))[0]!;
    const r = await t.engine.apply(lab([WEB('v4')], null, 'router'));
    expect(r.ops.filter((o) => o.kind === 'process').map((o) => `${o.phase} ${o.subject.node}`)).toEqual([
      'unprocess h',
      'unprocess server',
      'process server',
    ]);
    expect(processStartTime(before)).toBeUndefined();
    expect(processStartTime(sleeper)).toBeUndefined();
    expect(await pageBecomes('hello-v4')).toBe('hello-v4');
    const [web] = await processesIn(NS('server'), 'python3 -m http.server');
    expect(uidOf(web!)).toBe(await ownedNamespaceUid(NS('server'))); // the new namespace's own uid
  });

  it('destroy leaves no process of ours, no record, no log', async () => {
    await t.engine.apply(lab([WEB('v3')]));
    expect(await pageBecomes('hello-v3')).toBe('hello-v3');
    const group = sandboxGroupPids(labSandboxGroup(PREFIX, 'rp'));
    const supervisors = processesMentioning(t.dataDir);
    expect(group.length).toBeGreaterThan(0);
    expect(supervisors.length).toBe(2); // the server's line and the host's
    await t.engine.destroy('rp');
    for (const pid of [...group, ...supervisors]) expect(processStartTime(pid)).toBeUndefined();
    expect(processesMentioning(t.dataDir)).toEqual([]);
    expect(existsSync(processDir(t.engine, 'rp'))).toBe(false);
  });
});
