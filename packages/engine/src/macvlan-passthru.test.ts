// macvlan mode passthru on the real kernel (prefix pbexp-). The kernel accepts passthru on a veth,
// the parent every lab gives (a host's link end): the one macvlan takes the parent over, with the
// parent's MAC (the parent turns promiscuous), reaches the wire, and a second macvlan on that
// parent is refused by the kernel as validation refuses it (macvlan.passthru). A `mac` given to the
// passthru macvlan becomes the parent's too. Re-applying changes nothing; destroy leaves nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { listNamespaces, runInNamespace } from '@patchbay/kernel';
import { type Lab, checkLab } from '@patchbay/topology';
import { ping, rootSnapshot, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbexp-';
const HOST = `${PREFIX}pt.h`;
const C = `${PREFIX}pt.c`;

function lab(mac?: string): Lab {
  return {
    name: 'pt',
    nodes: { h: { kind: 'host' }, lan: { kind: 'router' }, c: { kind: 'netns' } },
    links: [
      {
        a: { node: 'h', interface: 'eth0' },
        b: { node: 'lan', interface: 'eth0', addresses: ['10.79.0.1/24'] },
      },
    ],
    macvlans: [
      {
        node: 'c',
        interface: 'eth0',
        parent: { node: 'h', interface: 'eth0' },
        mode: 'passthru',
        addresses: ['10.79.0.10/24'],
        ...(mac ? { mac } : {}),
      },
    ],
  };
}

interface LinkJson {
  address: string;
  promiscuity: number;
  linkinfo?: { info_kind: string; info_data?: { mode?: string } };
}
async function link(ns: string, dev: string): Promise<LinkJson> {
  const r = await runInNamespace(ns, 'ip', ['-j', '-d', 'link', 'show', 'dev', dev]);
  return (JSON.parse(r.stdout) as LinkJson[])[0]!;
}

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
});

describe('macvlan passthru on the real kernel', () => {
  it('takes its veth parent over, with its MAC; a second macvlan on it is refused', async () => {
    const before = await rootSnapshot();
    t = testEngine(PREFIX);
    const first = await t.engine.apply(lab());
    expect(first.drift).toEqual([]);
    expect(first.ops.filter((o) => o.phase === 'macvlan').map((o) => o.args.join(' '))).toEqual([
      `link add link eth0 name eth0 netns ${C} type macvlan mode passthru`,
    ]);
    const mv = await link(C, 'eth0');
    const parent = await link(HOST, 'eth0');
    expect(mv.linkinfo).toMatchObject({ info_kind: 'macvlan', info_data: { mode: 'passthru' } });
    expect(mv.address).toBe(parent.address); // passthru: the parent's own MAC, not one of its own
    expect(parent.promiscuity).toBeGreaterThan(0);
    expect(await ping(C, '10.79.0.1', 1, 2)).toBe(true);
    expect((await t.engine.apply(lab())).ops).toEqual([]);

    // What validation says (macvlan.passthru), the kernel says too: a second macvlan is refused.
    const two = lab();
    two.macvlans!.push({ ...two.macvlans![0]!, node: 'h', interface: 'mv1', addresses: [] });
    expect(checkLab(two).problems.map((p) => p.code)).toContain('macvlan.passthru');
    const refused = await runInNamespace(HOST, 'ip', [
      'link',
      'add',
      'link',
      'eth0',
      'name',
      'mv1',
      'type',
      'macvlan',
      'mode',
      'passthru',
    ]);
    expect(refused.code).not.toBe(0);
    const bridged = await runInNamespace(HOST, 'ip', [
      'link',
      'add',
      'link',
      'eth0',
      'name',
      'mv1',
      'type',
      'macvlan',
      'mode',
      'bridge',
    ]);
    expect(bridged.code).not.toBe(0);

    // A MAC of its own given to the passthru macvlan is the parent's too.
    const withMac = await t.engine.apply(lab('02:00:00:00:79:0c'));
    expect(withMac.drift).toEqual([]);
    expect((await link(C, 'eth0')).address).toBe('02:00:00:00:79:0c');
    expect((await link(HOST, 'eth0')).address).toBe('02:00:00:00:79:0c');
    expect(await ping(C, '10.79.0.1', 1, 3)).toBe(true);
    expect((await t.engine.apply(lab('02:00:00:00:79:0c'))).ops).toEqual([]);

    await t.engine.destroy('pt');
    expect(await listNamespaces(PREFIX)).toEqual([]);
    expect(await rootSnapshot()).toBe(before);
  });
});
