// The cap on a bridge's learned FDB entries on the real kernel: applied with the bridge, changed
// incrementally, set again when it went missing, and a MAC flood from a node on the bridge stops at
// it; the state view (the live tables' source) shows the cap and the count. Prefix pbfdb-.
// The flood is frames with random source MACs sent from a lab namespace's eth0 (raw socket): they
// stay on the lab's bridge and never reach the machine's own namespace.
import { afterEach, describe, expect, it } from 'vitest';
import { BRIDGEATTR_SCRIPT, closeBridgeAttrReader, runInNamespace } from '@patchbay/kernel';
import { parseLabText, type Lab } from '@patchbay/topology';
import { scriptFor } from './lab-export.js';
import { labState } from './lab-state.js';
import { testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbfdb-';
const HOST = `${PREFIX}flood._host`;

function lab(cap?: number): Lab {
  const text = `name: flood
nodes:
  sw: { kind: bridge${cap === undefined ? '' : `, fdbMaxLearned: ${cap}`} }
  a: { kind: netns }
  b: { kind: netns }
links:
  - a: { node: a, interface: eth0, addresses: [10.8.0.1/24] }
    b: { node: sw, interface: p-a }
  - a: { node: b, interface: eth0, addresses: [10.8.0.2/24] }
    b: { node: sw, interface: p-b }
`;
  const { lab: parsed, problems } = parseLabText(text);
  if (!parsed || problems.length) throw new Error(JSON.stringify(problems));
  return parsed;
}

/** Sends `count` broadcast frames, each from a new random (locally administered) source MAC. */
async function macFlood(ns: string, count: number): Promise<void> {
  const script = [
    'import os, socket',
    's = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)',
    "s.bind(('eth0', 0))",
    `for _ in range(${count}):`,
    "    s.send(b'\\xff' * 6 + bytes([0x02]) + os.urandom(5) + b'\\x88\\xb5' + bytes(46))",
  ].join('\n');
  const r = await runInNamespace(ns, 'python3', ['-c', script]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

/** Learned entries of bridge `sw` in the bridge's own FDB (`bridge fdb`), counted by hand. */
async function learnedEntries(): Promise<number> {
  const r = await runInNamespace(HOST, 'bridge', ['-j', 'fdb', 'show', 'br', 'sw']);
  const entries = JSON.parse(r.stdout) as { flags?: string[]; state?: string }[];
  return entries.filter((e) => !e.state && !(e.flags ?? []).includes('self')).length;
}

let t: TestEngine | undefined;
afterEach(async () => {
  closeBridgeAttrReader();
  await t?.engine.close();
  await t?.cleanup();
});

describe('bridge FDB cap in export --script', () => {
  it('is the ip line a newer iproute2 takes, and the script goes on where this one refuses it', () => {
    const lines = scriptFor(lab(64), 'pb-').split('\n');
    expect(lines).toContain(
      "ip -n pb-flood._host link set dev sw type bridge fdb_max_learned 64 || echo 'this iproute2 cannot set fdb_max_learned 64 on sw (needs 6.8+): left unset' >&2",
    );
  });
});

describe('bridge FDB cap on the real kernel', () => {
  it('a MAC flood stops at the cap; the cap is applied, changed, re-applied, and shown', async () => {
    t = testEngine(PREFIX);
    const first = await t.engine.apply(lab(64));
    expect(first.drift).toEqual([]);
    expect(first.ops.filter((o) => o.tool === 'netlink').map((o) => o.args.join(' '))).toEqual([
      'link set dev sw type bridge fdb_max_learned 64',
    ]);
    let view = (await labState(t.engine, 'flood')).bridges[0]!;
    expect(view.fdbMaxLearned).toBe(64);

    await macFlood(`${PREFIX}flood.a`, 500);
    expect(await learnedEntries()).toBe(64);
    view = (await labState(t.engine, 'flood')).bridges[0]!;
    expect(view).toMatchObject({ fdbMaxLearned: 64, fdbLearned: 64 });
    // The tables list what was learned on the flooding port: the cap, not the 500 sent.
    expect(view.fdb.filter((e) => e.port === 'p-a' && !e.state).length).toBe(64);

    // Changed: one operation, nothing else.
    const raised = await t.engine.apply(lab(128));
    expect(raised.ops.map((o) => o.args.join(' '))).toEqual(['link set dev sw type bridge fdb_max_learned 128']);
    expect(raised.drift).toEqual([]);
    await macFlood(`${PREFIX}flood.a`, 500);
    expect(await learnedEntries()).toBe(128);

    // Gone (set to 0, no cap, behind Patchbay's back): the next apply sets it again.
    const reset = await runInNamespace(HOST, 'python3', [BRIDGEATTR_SCRIPT, 'batch'], {
      input: 'link set dev sw type bridge fdb_max_learned 0\n',
    });
    expect(reset.code).toBe(0);
    expect((await labState(t.engine, 'flood')).bridges[0]!.fdbMaxLearned).toBe(0);
    await macFlood(`${PREFIX}flood.a`, 300); // uncapped, the table grows with the flood
    expect(await learnedEntries()).toBeGreaterThan(300);
    const again = await t.engine.apply(lab(128));
    expect(again.ops.map((o) => o.args.join(' '))).toEqual(['link set dev sw type bridge fdb_max_learned 128']);
    expect((await t.engine.apply(lab(128))).ops).toEqual([]);

    // No cap in the lab: the default.
    await t.engine.apply(lab());
    expect((await labState(t.engine, 'flood')).bridges[0]!.fdbMaxLearned).toBe(1024);
  });
});
