// DNS on the real kernel (prefix pbdns-): a node serves the lab's names (dnsmasq in its namespace,
// sandboxed), two clients resolve each other through it with their own resolver settings
// (/etc/netns/NS/resolv.conf, seen in sandboxes and by `ip netns exec`); records and resolver
// settings change incrementally; Docker's embedded DNS (127.0.0.11) works in a container; destroy
// leaves no dnsmasq and no file.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInNamespace, ownedNamespaceUid, pidsInNamespaces, runSandboxed } from '@patchbay/kernel';
import { parseLabText, type Lab } from '@patchbay/topology';
import { testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbdns-';
const LAB = 'dn';
const NS = (node: string) => `${PREFIX}${LAB}.${node}`;
const isRoot = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Opts {
  bAddress?: string;
  aDns?: unknown;
  bDns?: unknown;
}
function lab(o: Opts = {}): Lab {
  const resolver = { nameservers: ['10.79.0.53'], search: ['lab.internal'] };
  const text = JSON.stringify({
    name: LAB,
    nodes: {
      br0: { kind: 'bridge' },
      ns1: { kind: 'netns', dnsServer: { domain: 'lab.internal' } },
      a: { kind: 'netns', ...(o.aDns === null ? {} : { dns: o.aDns ?? resolver }) },
      b: { kind: 'netns', dns: o.bDns ?? resolver },
    },
    links: [
      { a: { node: 'ns1', interface: 'eth0', addresses: ['10.79.0.53/24'] }, b: { node: 'br0', interface: 'v-ns1' } },
      { a: { node: 'a', interface: 'eth0', addresses: ['10.79.0.11/24'] }, b: { node: 'br0', interface: 'v-a' } },
      {
        a: { node: 'b', interface: 'eth0', addresses: [o.bAddress ?? '10.79.0.12/24'] },
        b: { node: 'br0', interface: 'v-b' },
      },
    ],
  });
  const { lab: parsed, problems } = parseLabText(text);
  if (!parsed || problems.length) throw new Error(JSON.stringify(problems));
  return parsed;
}

/** `getent hosts NAME` in a sandbox of `node` (a student shell's view): its first address, or ''. */
async function resolveIn(node: string, name: string): Promise<string> {
  const r = await runSandboxed(NS(node), ['getent', 'hosts', name], { hostname: node, timeoutMs: 20_000 });
  return r.code === 0 ? r.stdout.trim().split(/\s+/)[0]! : '';
}
async function resolvesTo(node: string, name: string, expected: string, ms = 8000): Promise<string> {
  let got = '';
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
    got = await resolveIn(node, name);
    if (got === expected) break;
  }
  return got;
}
const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
};
const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
async function dnsmasqIn(ns: string): Promise<number[]> {
  return [...(await pidsInNamespaces([ns])).keys()].filter((p) => cmdline(p).startsWith('dnsmasq'));
}
function dnsmasqMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => cmdline(p).startsWith('dnsmasq') && cmdline(p).includes(text));
}

describe.skipIf(!isRoot)('DNS: a server node, resolver settings, the docker preset', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = testEngine(PREFIX);
    await t.cleanup();
    t = testEngine(PREFIX);
  });
  afterAll(async () => {
    await t.engine.destroy(LAB).catch(() => undefined);
    await t.cleanup();
  });

  it('serves every node name; each client resolves the other through it, in sandboxes and with ip netns exec', async () => {
    const r = await t.engine.apply(lab());
    expect(r.ops.filter((o) => o.kind === 'dns').map((o) => `${o.phase} ${o.subject.node}`)).toEqual([
      'process a',
      'process b',
    ]);
    const server = r.ops.find((o) => o.kind === 'process' && o.subject.node === 'ns1')!;
    expect(server.subject.detail).toBe('dns-server');
    expect(server.args[2]).toContain('--host-record=b,b.lab.internal,10.79.0.12');
    expect(readFileSync(`/etc/netns/${NS('a')}/resolv.conf`, 'utf8')).toMatch(
      /nameserver 10\.79\.0\.53\nsearch lab\.internal\n/,
    );
    expect(await resolvesTo('a', 'b', '10.79.0.12')).toBe('10.79.0.12');
    expect(await resolveIn('b', 'a.lab.internal')).toBe('10.79.0.11');
    expect(await resolveIn('b', 'ns1')).toBe('10.79.0.53');
    // `ip netns exec`'s way (exec.ts binds /etc/netns/NS/*): the same answer
    const viaExec = await execInNamespace(NS('a'), ['getent', 'hosts', 'b'], { stdio: 'pipe' });
    expect(viaExec.stdout).toMatch(/^10\.79\.0\.12\s+b/);
    // the server is not the machine's root: the node's own sandbox user
    const [dnsmasq] = await dnsmasqIn(NS('ns1'));
    expect(dnsmasq).toBeDefined();
    expect(uidOf(dnsmasq!)).toBe(await ownedNamespaceUid(NS('ns1')));
    // a name the lab does not have is NXDOMAIN, not sent anywhere (no upstream)
    expect(await resolveIn('a', 'example.com')).toBe('');
  });

  it('changes incrementally: a new address restarts only the server; new resolver settings rewrite only that file', async () => {
    const before = (await dnsmasqIn(NS('ns1')))[0]!;
    let r = await t.engine.apply(lab({ bAddress: '10.79.0.22/24' }));
    expect(
      r.ops.filter((o) => o.kind === 'process' || o.kind === 'dns').map((o) => `${o.phase} ${o.subject.node}`),
    ).toEqual(['unprocess ns1', 'process ns1']);
    expect(existsSync(`/proc/${before}`)).toBe(false);
    expect(await resolvesTo('a', 'b', '10.79.0.22')).toBe('10.79.0.22');

    const server = (await dnsmasqIn(NS('ns1')))[0]!;
    r = await t.engine.apply(
      lab({ bAddress: '10.79.0.22/24', aDns: { nameservers: ['10.79.0.53'], search: ['lab.internal'], ndots: 3 } }),
    );
    expect(r.ops.map((o) => `${o.phase} ${o.kind} ${o.action} ${o.subject.node}`)).toEqual(['process dns change a']);
    expect(readFileSync(`/etc/netns/${NS('a')}/resolv.conf`, 'utf8')).toMatch(/options ndots:3\n/);
    expect((await dnsmasqIn(NS('ns1')))[0]).toBe(server);
    expect(await resolveIn('a', 'b')).toBe('10.79.0.22');
  });

  it("a node's user may edit its resolv.conf from inside (as in a container); the next apply puts the lab's back", async () => {
    const edit = await runSandboxed(
      NS('b'),
      ['sh', '-c', "printf 'nameserver 10.79.0.99\\n' > /etc/resolv.conf && cat /etc/resolv.conf"],
      { hostname: 'b', timeoutMs: 20_000 },
    );
    expect(edit.stdout).toBe('nameserver 10.79.0.99\n');
    expect(readFileSync(`/etc/netns/${NS('b')}/resolv.conf`, 'utf8')).toBe('nameserver 10.79.0.99\n');
    const r = await t.engine.apply(
      lab({ bAddress: '10.79.0.22/24', aDns: { nameservers: ['10.79.0.53'], search: ['lab.internal'], ndots: 3 } }),
    );
    expect(r.ops.map((o) => `${o.kind} ${o.action} ${o.subject.node}`)).toEqual(['dns change b']);
    expect(await resolveIn('b', 'a')).toBe('10.79.0.11');
  });

  it("dns: docker — the container's resolver is 127.0.0.11, answered by a dnsmasq in its own namespace", async () => {
    const r = await t.engine.apply(lab({ aDns: 'docker' }));
    expect(
      r.ops
        .filter((o) => o.subject.node === 'a' && (o.kind === 'dns' || o.kind === 'process'))
        .map((o) => `${o.phase} ${o.kind} ${o.subject.detail}`),
    ).toEqual(['process dns resolv.conf', 'process process docker-dns']);
    expect(readFileSync(`/etc/netns/${NS('a')}/resolv.conf`, 'utf8')).toMatch(
      /nameserver 127\.0\.0\.11\noptions ndots:0\n/,
    );
    expect(await resolvesTo('a', 'b', '10.79.0.12')).toBe('10.79.0.12');
    expect(await dnsmasqIn(NS('a'))).toHaveLength(1);
    // no dns: at all: the file goes, and so does the embedded server
    const r2 = await t.engine.apply(lab({ aDns: null }));
    expect(r2.ops.map((o) => `${o.phase} ${o.kind} ${o.action}`).sort()).toEqual([
      'unprocess dns remove',
      'unprocess process remove',
    ]);
    expect(existsSync(`/etc/netns/${NS('a')}`)).toBe(false);
    expect(await dnsmasqIn(NS('a'))).toEqual([]);
  });

  it('destroy leaves no dnsmasq and no resolver file', async () => {
    await t.engine.apply(lab({ aDns: 'docker' }));
    for (let i = 0; i < 50 && dnsmasqMentioning('10.79.0.').length < 2; i++) await sleep(100);
    expect(dnsmasqMentioning('10.79.0.').length).toBe(2);
    await t.engine.destroy(LAB);
    await sleep(100);
    expect(dnsmasqMentioning('10.79.0.')).toEqual([]);
    expect(readdirSync('/etc/netns').filter((n) => n.startsWith(PREFIX))).toEqual([]);
  });
});
