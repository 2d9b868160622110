// Bridge port flags and ebtables anti-spoofing on the real kernel (prefix pbmvp-): learning off
// learns nothing, isolated ports cannot talk to each other, a port guarded by anti-spoofing drops
// frames from another MAC or IPv4 source, flags change in place, and destroy leaves nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execInNamespace, listNamespaces, runInNamespace } from '@patchbay/kernel';
import { type BridgePortSpec, type Lab, parseLabText } from '@patchbay/topology';
import { labState } from './lab-state.js';
import { ping, rootSnapshot, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbmvp-';
const HOST = `${PREFIX}ports._host`;
const A = `${PREFIX}ports.a`;
const MAC_A = '02:00:00:00:77:0a';

function lab(ports: { pa?: BridgePortSpec; pb?: BridgePortSpec; pc?: BridgePortSpec } = {}): Lab {
  const end = (n: string, i: number) => ({
    node: n,
    interface: 'eth0',
    mac: `02:00:00:00:77:0${String.fromCharCode(97 + i)}`,
    addresses: [`10.77.1.${10 + i}/24`],
  });
  const port = (name: 'pa' | 'pb' | 'pc') => ({
    node: 'sw',
    interface: name,
    ...(ports[name] ? { bridgePort: ports[name] } : {}),
  });
  return {
    name: 'ports',
    nodes: { sw: { kind: 'bridge' }, a: { kind: 'netns' }, b: { kind: 'netns' }, c: { kind: 'netns' } },
    links: [
      { a: end('a', 0), b: port('pa') },
      { a: end('b', 1), b: port('pb') },
      { a: end('c', 2), b: port('pc') },
    ],
  };
}

/** MACs the bridge learned on `port` (dynamic entries: no state, not the port's own `self` ones). */
async function learnedOn(port: string): Promise<string[]> {
  const r = await runInNamespace(HOST, 'bridge', ['-j', 'fdb', 'show', 'br', 'sw']);
  const entries = JSON.parse(r.stdout) as { mac: string; ifname?: string; flags?: string[]; state?: string }[];
  return entries.filter((e) => e.ifname === port && !e.state && !(e.flags ?? []).includes('self')).map((e) => e.mac);
}

async function inA(...argv: string[]): Promise<void> {
  const r = await execInNamespace(A, argv, { stdio: 'pipe' });
  expect(r.code).toBe(0);
}

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
});

describe('bridge port flags on the real kernel', () => {
  it('learning off learns nothing; isolated ports are kept apart; a flag changes in place', async () => {
    const before = await rootSnapshot();
    t = testEngine(PREFIX);
    const first = await t.engine.apply(lab({ pa: { learning: false } }));
    expect(first.drift).toEqual([]);
    expect(first.ops.filter((o) => o.args.includes('bridge_slave')).map((o) => o.args.join(' '))).toEqual([
      'link set dev pa type bridge_slave learning off',
    ]);
    expect(await ping(A, '10.77.1.11')).toBe(true); // unknown destinations are flooded
    expect(await learnedOn('pa')).toEqual([]);
    const host = (await labState(t.engine, 'ports')).nodes.find((n) => n.node === '_host')!;
    expect(host.interfaces.find((i) => i.name === 'pa')?.port).toEqual({
      hairpin: false,
      learning: false,
      flood: true,
      isolated: false,
    });
    expect(await learnedOn('pb')).toContain('02:00:00:00:77:0b');

    // learning back on, pa and pb isolated: one line per port, no link made again.
    const ifindex = async () =>
      JSON.parse((await runInNamespace(HOST, 'ip', ['-j', 'link', 'show', 'pa'])).stdout)[0].ifindex as number;
    const index = await ifindex();
    const isolated = await t.engine.apply(lab({ pa: { isolated: true }, pb: { isolated: true } }));
    expect(isolated.drift).toEqual([]);
    expect(isolated.ops.map((o) => o.args.join(' '))).toEqual([
      'link set dev pa type bridge_slave learning on isolated on',
      'link set dev pb type bridge_slave isolated on',
    ]);
    expect(await ifindex()).toBe(index);
    expect(await ping(A, '10.77.1.11')).toBe(false); // isolated to isolated
    expect(await ping(A, '10.77.1.12')).toBe(true); // isolated to a normal port
    expect(await learnedOn('pa')).toContain(MAC_A);

    // A flag changed by hand is drift: the next apply turns it back.
    await runInNamespace(HOST, 'ip', ['link', 'set', 'dev', 'pb', 'type', 'bridge_slave', 'isolated', 'off']);
    const back = await t.engine.apply(lab({ pa: { isolated: true }, pb: { isolated: true } }));
    expect(back.ops.map((o) => o.args.join(' '))).toEqual(['link set dev pb type bridge_slave isolated on']);

    await t.engine.destroy('ports');
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await rootSnapshot()).toBe(before);
  });
});

describe('ebtables anti-spoofing on the real kernel', () => {
  it('a port guarded by its MAC and address drops frames from any other; removing the guard empties the table', async () => {
    const before = await rootSnapshot();
    t = testEngine(PREFIX);
    const guarded = lab({ pa: { antiSpoof: true } });
    const first = await t.engine.apply(guarded);
    expect(first.drift).toEqual([]);
    const restore = first.ops.filter((o) => o.tool === 'ebtables');
    expect(restore).toHaveLength(1);
    expect(restore[0]!.input).toContain(`-A PB-pa -s ! ${MAC_A} -j DROP`);
    expect(await ping(A, '10.77.1.11')).toBe(true);
    expect((await t.engine.apply(guarded)).ops).toEqual([]);

    // Another MAC: dropped (ARP and IPv4 alike). Its own again: through.
    await inA('ip', 'link', 'set', 'dev', 'eth0', 'address', '02:00:00:00:77:ee');
    await inA('ip', 'neigh', 'flush', 'dev', 'eth0');
    expect(await ping(A, '10.77.1.11')).toBe(false);
    expect(await ping(A, '10.77.1.12')).toBe(false);
    await inA('ip', 'link', 'set', 'dev', 'eth0', 'address', MAC_A);
    expect(await ping(A, '10.77.1.11', 1, 2)).toBe(true);

    // Another source address (the right MAC): dropped; its own: through.
    await inA('ip', 'addr', 'add', '10.77.1.99/24', 'dev', 'eth0');
    const spoofed = await execInNamespace(A, ['ping', '-n', '-c', '1', '-w', '1', '-I', '10.77.1.99', '10.77.1.11'], {
      stdio: 'pipe',
    });
    expect(spoofed.code).not.toBe(0);
    expect(await ping(A, '10.77.1.11')).toBe(true);

    // An unguarded port is not filtered: b may use any source.
    expect(await ping(`${PREFIX}ports.b`, '10.77.1.12')).toBe(true);

    // The guard removed: the filter table is emptied (one ebtables-restore), spoofing gets through.
    const open = await t.engine.apply(lab());
    expect(open.ops.filter((o) => o.tool === 'ebtables').map((o) => o.input)).toEqual([
      '*filter\n:INPUT ACCEPT\n:FORWARD ACCEPT\n:OUTPUT ACCEPT\nCOMMIT\n',
    ]);
    // (that apply also took away the address added by hand: not in the lab)
    await inA('ip', 'addr', 'add', '10.77.1.99/24', 'dev', 'eth0');
    const after = await execInNamespace(A, ['ping', '-n', '-c', '1', '-w', '2', '-I', '10.77.1.99', '10.77.1.11'], {
      stdio: 'pipe',
    });
    expect(after.code).toBe(0);

    await t.engine.destroy('ports');
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await rootSnapshot()).toBe(before);
  });
});

/** One TCP connection from `web` to its own published port (172.17.0.1:8080, DNATed back to itself): whether it got through. */
async function ownPublishedPort(web: string): Promise<boolean> {
  const server = runInNamespace(web, 'python3', [
    '-c',
    [
      'import socket',
      's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      "s.bind(('0.0.0.0', 80)); s.listen(1); s.settimeout(3)",
      'try:',
      '    c, _ = s.accept(); print(c.recv(64).decode())',
      'except OSError:',
      "    print('no connection')",
    ].join('\n'),
  ]);
  await new Promise((r) => setTimeout(r, 400)); // the server listens (a refused connect would say so too)
  const client = await runInNamespace(web, 'python3', [
    '-c',
    "import socket\ntry:\n    socket.create_connection(('172.17.0.1', 8080), timeout=2).sendall(b'hairpin')\n    print('sent')\nexcept OSError as e:\n    print(e)",
  ]);
  const got = await server;
  return client.stdout.trim() === 'sent' && got.stdout.trim() === 'hairpin';
}

describe("the lab-format docs' bridge-port example on the real kernel", () => {
  it('applies as written: hairpin lets web reach its own published port; a spoofed source is dropped', async () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/lab-format.md'), 'utf8');
    const section = doc.slice(doc.indexOf('\n## Bridge ports: flags and anti-spoofing\n'));
    const text = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const { lab: parsed, problems } = parseLabText(text);
    expect(problems).toEqual([]);
    t = testEngine(PREFIX);
    const web = `${PREFIX}hairpin.web`;
    // Without hairpin on web's port, its own published port never answers.
    const noHairpin = structuredClone(parsed!);
    noHairpin.links[0]!.b.bridgePort = { antiSpoof: true };
    expect((await t.engine.apply(noHairpin)).drift).toEqual([]);
    expect(await ownPublishedPort(web)).toBe(false);
    const on = await t.engine.apply(parsed!);
    expect(on.ops.map((o) => o.args.join(' '))).toEqual(['link set dev veth-web type bridge_slave hairpin on']);
    expect(await ownPublishedPort(web)).toBe(true);
    expect(await ping(web, '172.17.0.3')).toBe(true);
    expect(await ping(web, '172.17.0.1')).toBe(true);
    const port = JSON.parse(
      (await runInNamespace(`${PREFIX}hairpin.host`, 'ip', ['-j', '-d', 'link', 'show', 'veth-web'])).stdout,
    )[0].linkinfo.info_slave_data as { hairpin: boolean; learning: boolean };
    expect(port).toMatchObject({ hairpin: true, learning: true });
    expect(
      (await execInNamespace(web, ['ip', 'addr', 'add', '172.17.0.9/16', 'dev', 'eth0'], { stdio: 'pipe' })).code,
    ).toBe(0);
    const spoofed = await execInNamespace(web, ['ping', '-n', '-c', '1', '-w', '1', '-I', '172.17.0.9', '172.17.0.3'], {
      stdio: 'pipe',
    });
    expect(spoofed.code).not.toBe(0);
  });
});
