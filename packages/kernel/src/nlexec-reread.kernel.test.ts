// The executor's reads of a namespace it has read before (helpers/rtnl_read.py keeps decoded links
// and netconf entries by the bytes of their message): after every kind of change — a port added,
// renamed, moved to another bridge, deleted, a sysctl flipped — a read says what `ip -j -d` says,
// as the first read does (nlexec.kernel.test.ts). observeNamespaces reads through the executor, the
// same state as through `ip` (bridge FDB attributes included) without a process.

import { afterEach, describe, expect, it } from 'vitest';
import type { NamespaceState } from '@patchbay/topology';
import { executePlan, namespaceFromJson, observeNamespaces, READ_COMMANDS, readViaNetlink } from './index.js';
import { parseConcatenatedJson } from './json.js';
import { runInNamespace } from './process.js';
import { cleanup, ip, isRoot, netnsAdd, op } from '../test/helpers.js';

const P = 'pmi-knrr-';
const HOST = `${P}host`;
const LEAVES = `${P}leaves`;

async function ipRead(ns: string): Promise<NamespaceState> {
  const input = READ_COMMANDS.map((c) => `${c}\n`).join('');
  const r = await runInNamespace(ns, 'ip', ['-j', '-d', '-batch', '-'], { input });
  expect(r.stderr).toBe('');
  return namespaceFromJson(ns, parseConcatenatedJson(r.stdout));
}

async function bothReads(): Promise<NamespaceState> {
  const values = await readViaNetlink(HOST);
  expect(values).toBeDefined();
  const viaExecutor = namespaceFromJson(HOST, values!);
  expect(viaExecutor).toEqual(await ipRead(HOST));
  return viaExecutor;
}

async function run(lines: string[]): Promise<void> {
  const r = await executePlan(lines.map((l) => ip('configure', HOST, l)));
  expect(r.failed).toBeUndefined();
}

describe.skipIf(!isRoot)('reading a namespace again through the rtnetlink executor', () => {
  afterEach(() => cleanup(P));

  it('reads what `ip -j -d` reads after each change to a bridge host', async () => {
    const ports = [1, 2, 3, 4, 5, 6];
    const made = await executePlan([
      netnsAdd(HOST),
      netnsAdd(LEAVES),
      ip('link', HOST, 'link add br0 type bridge'),
      ip('link', HOST, 'link add br1 type bridge'),
      ...ports.map((i) => ip('link', HOST, `link add h${i} type veth peer name e${i} netns ${LEAVES}`)),
      ...ports.map((i) => ip('configure', HOST, `link set dev h${i} master br0`)),
      ip('configure', HOST, 'link set dev br0 up'),
    ]);
    expect(made.failed).toBeUndefined();
    expect(Object.keys((await bothReads()).links)).toHaveLength(9);
    await bothReads(); // the same messages again: all of them decoded before

    await run(['link set dev h1 up', 'link set dev h2 mtu 1400', 'addr add 10.8.0.1/24 dev br0']);
    expect((await bothReads()).links['h2']!.mtu).toBe(1400);
    // traffic: h1's and br0's counters change (kept decodings are reused when only counters do)
    const leaf = await executePlan([
      ip('configure', LEAVES, 'addr add 10.8.0.2/24 dev e1'),
      ip('configure', LEAVES, 'link set dev e1 up'),
    ]);
    expect(leaf.failed).toBeUndefined();
    const pinged = await runInNamespace(LEAVES, 'ping', ['-c2', '-i0.2', '-W2', '-n', '-q', '10.8.0.1']);
    expect(pinged.code).toBe(0);
    await bothReads();
    await run(['link set dev h1 down']);
    expect((await bothReads()).links['h1']!.up).toBe(false);
    await run(['link set dev h3 master br1']);
    expect((await bothReads()).links['h3']!.master).toBe('br1');
    // a renamed master: its ports' messages are the same bytes, their master's name is not
    await run(['link set dev br1 name br9']);
    expect((await bothReads()).links['h3']!.master).toBe('br9');
    const sysctl = await runInNamespace(HOST, 'sysctl', ['-qw', 'net.ipv4.conf.h4.proxy_arp=1']);
    expect(sysctl.code).toBe(0);
    expect((await bothReads()).sysctls['net.ipv4.conf.h4.proxy_arp']).toBe('1');
    await run(['link set dev h5 name p5']);
    const renamed = await bothReads();
    expect(renamed.links['p5']).toBeDefined();
    expect(renamed.links['h5']).toBeUndefined();
    const del = await runInNamespace(HOST, 'ip', ['link', 'del', 'dev', 'h6']);
    expect(del.code).toBe(0);
    expect((await bothReads()).links['h6']).toBeUndefined();
  });

  it('observeNamespaces reads through the executor what it reads through `ip` and bridge-attrs.ts', async () => {
    const made = await executePlan([
      netnsAdd(HOST),
      netnsAdd(LEAVES),
      ip('link', HOST, 'link add br0 type bridge'),
      ip('link', HOST, `link add h1 type veth peer name e1 netns ${LEAVES}`),
      ip('configure', HOST, 'link set dev h1 master br0'),
      ip('configure', HOST, 'addr add 10.9.0.1/24 dev br0'),
      ip('configure', HOST, 'link set dev br0 up'),
      op('configure', 'netlink', HOST, 'link set dev br0 type bridge fdb_max_learned 77'.split(' ')),
    ]);
    expect(made.failed).toBeUndefined();
    const saved = process.env['PATCHBAY_NLEXEC'];
    process.env['PATCHBAY_NLEXEC'] = '0';
    let viaIp;
    try {
      viaIp = await observeNamespaces([HOST, LEAVES, `${P}absent`]);
    } finally {
      if (saved === undefined) delete process.env['PATCHBAY_NLEXEC'];
      else process.env['PATCHBAY_NLEXEC'] = saved;
    }
    const viaExecutor = await observeNamespaces([HOST, LEAVES, `${P}absent`]);
    expect(viaExecutor).toEqual(viaIp);
    expect(Object.keys(viaExecutor.namespaces)).toEqual([HOST, LEAVES]);
    expect(viaExecutor.namespaces[HOST]!.links['br0']!.bridge?.fdbMaxLearned).toBe(77);
  });
});
