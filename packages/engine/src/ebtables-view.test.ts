// A bridge's ebtables in its tables view, read from the kernel (prefix pbexv-): the anti-spoofing
// chains of a guarded port show under its bridge and not under the host's other bridge, a rule
// added by hand shows under the bridge whose port it names, and an empty table shows nothing. The
// engine watches (as the server's does), so the views come through its live view cache: the hand-made
// rule is an nf_tables change, reported, and read again.
import { afterEach, describe, expect, it } from 'vitest';
import { listNamespaces, runInNamespace } from '@patchbay/kernel';
import type { Lab } from '@patchbay/topology';
import { Engine } from './engine.js';
import { labState, namespaceView } from './lab-state.js';
import { rootSnapshot, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbexv-';
const HOST = `${PREFIX}ebv.h`;

function lab(guard: boolean): Lab {
  return {
    name: 'ebv',
    nodes: {
      h: { kind: 'host' },
      sw1: { kind: 'bridge', host: 'h' },
      sw2: { kind: 'bridge', host: 'h' },
      a: { kind: 'netns' },
      b: { kind: 'netns' },
    },
    links: [
      {
        a: { node: 'a', interface: 'eth0', mac: '02:00:00:00:78:0a', addresses: ['10.78.1.10/24'] },
        b: { node: 'sw1', interface: 'p-a', ...(guard ? { bridgePort: { antiSpoof: true } } : {}) },
      },
      {
        a: { node: 'b', interface: 'eth0', mac: '02:00:00:00:78:0b', addresses: ['10.78.2.10/24'] },
        b: { node: 'sw2', interface: 'p-b' },
      },
    ],
  };
}

let t: TestEngine | undefined;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  await t?.engine.close();
  await t?.cleanup();
  engine = undefined;
  t = undefined;
});

describe("a bridge's ebtables in the tables view", () => {
  it('shows each bridge its own part of the host filter table, rules added by hand included', async () => {
    const before = await rootSnapshot();
    t = testEngine(PREFIX);
    const e = (engine = new Engine({ prefix: PREFIX, dataDir: t.dataDir, watch: true }));
    await e.apply(lab(false));
    const bridge = async (name: string) => (await labState(e, 'ebv')).bridges.find((b) => b.bridge === name)!;
    expect((await bridge('sw1')).ebtables).toBeUndefined();

    await e.apply(lab(true));
    expect((await bridge('sw1')).ebtables?.filter).toEqual([
      ':INPUT ACCEPT',
      ':FORWARD ACCEPT',
      ':OUTPUT ACCEPT',
      ':PB-p-a RETURN',
      '-A INPUT -i p-a -j PB-p-a',
      '-A FORWARD -i p-a -j PB-p-a',
      '-A PB-p-a -s ! 02:00:00:00:78:0a -j DROP',
      '-A PB-p-a -p IPv4 --ip-src 10.78.1.10 -j RETURN',
      '-A PB-p-a -p IPv4 -j DROP',
      '-A PB-p-a -p ARP --arp-ip-src 10.78.1.10 --arp-mac-src 02:00:00:00:78:0a -j RETURN',
      '-A PB-p-a -p ARP -j DROP',
    ]);
    // sw2 shares the host's table but none of its rules name sw2's port.
    expect((await bridge('sw2')).ebtables?.filter).toEqual([':INPUT ACCEPT', ':FORWARD ACCEPT', ':OUTPUT ACCEPT']);

    // A rule added by hand (what a student does in the ebtables exercise) shows under sw2, in the
    // namespace's own delta too (the live tables).
    const added = await runInNamespace(HOST, 'ebtables', [
      '-A',
      'FORWARD',
      '-i',
      'p-b',
      '-s',
      '!',
      '02:00:00:00:78:0b',
      '-j',
      'DROP',
    ]);
    expect(added.code).toBe(0);
    const delta = await namespaceView(e, 'ebv', HOST);
    expect(delta.bridges.find((b) => b.bridge === 'sw2')!.ebtables?.filter).toContain(
      '-A FORWARD -s ! 02:00:00:00:78:0b -i p-b -j DROP',
    );
    expect((await bridge('sw1')).ebtables?.filter).not.toContain('-A FORWARD -s ! 02:00:00:00:78:0b -i p-b -j DROP');

    await e.destroy('ebv');
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await rootSnapshot()).toBe(before);
  });
});
