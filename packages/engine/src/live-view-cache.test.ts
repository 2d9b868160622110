// The live views' reads kept until the kernel reports a change (live-view-cache.ts), on the real
// kernel: an unchanged lab is served from memory; a change made from outside the engine (an address,
// an iptables rule, ARP) is seen by the next read, patched from the watcher's decoded messages or
// read again, of that namespace alone; a lab destroyed and
// applied again under the same names is read afresh. Prefix pblvc-.
import { afterEach, describe, expect, it } from 'vitest';
import { runInNamespace } from '@patchbay/kernel';
import { Engine } from './engine.js';
import { labState } from './lab-state.js';
import { exampleLab, testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pblvc-';
const WEB = `${PREFIX}two-containers.ns-web`;

describe('LiveViewCache', () => {
  let t: TestEngine | undefined;
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await t?.cleanup();
  });

  async function applied(): Promise<Engine> {
    t = testEngine(PREFIX);
    engine = new Engine({ prefix: PREFIX, dataDir: t.dataDir, watch: true });
    await engine.apply(exampleLab('two-containers.yaml'));
    return engine;
  }

  /** Every link of the lab's namespaces has its carrier (operstate UP): the kernel's part of the apply is over. */
  async function carriersUp(): Promise<boolean> {
    for (const node of ['_host', 'ns-web', 'ns-db']) {
      const { code, stdout, stderr } = await runInNamespace(`${PREFIX}two-containers.${node}`, 'ip', [
        '-j',
        'link',
        'show',
      ]);
      if (code !== 0) throw new Error(stderr);
      const links = JSON.parse(stdout) as { ifname: string; operstate: string }[];
      if (links.some((l) => l.ifname !== 'lo' && l.operstate !== 'UP')) return false;
    }
    return true;
  }

  /**
   * The apply's own last events may still come: the kernel reports a carrier coming up up to a
   * second later (linkwatch runs at most once a second), and a bridge port then goes forwarding.
   * Waits for every carrier, then reads until a read finds nothing new over a window longer than
   * linkwatch's second; the lab as that read saw it.
   */
  async function quiet(e: Engine) {
    for (let deadline = Date.now() + 10_000; !(await carriersUp()); ) {
      if (Date.now() > deadline) throw new Error("the lab's carriers did not come up within 10 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    let state = await labState(e, 'two-containers');
    for (let deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      const misses = e.liveViews.misses;
      await new Promise((r) => setTimeout(r, 1100));
      state = await labState(e, 'two-containers');
      if (e.liveViews.misses === misses) break;
    }
    return state;
  }

  const addressesOf = async (e: Engine, node: string) =>
    (await labState(e, 'two-containers')).nodes
      .find((n) => n.node === node)!
      .interfaces.flatMap((i) => i.addresses ?? []);

  it('serves an unchanged lab from memory and reads again just the namespace a change was reported in', async () => {
    const e = await applied();
    const first = await labState(e, 'two-containers');
    expect(e.liveViews.misses).toBe(first.nodes.filter((n) => n.present).length);
    const settledState = await quiet(e);
    const readFirst = e.liveViews.misses;
    const again = await labState(e, 'two-containers');
    expect(again).toEqual(settledState);
    expect(e.liveViews.misses).toBe(readFirst);
    expect(e.liveViews.hits).toBeGreaterThanOrEqual(readFirst);

    // an address added from a shell, not by the engine: patched from the watcher's decoded message, no read
    await runInNamespace(WEB, 'ip', ['addr', 'add', '10.99.0.1/32', 'dev', 'lo']);
    expect(await addressesOf(e, 'ns-web')).toContain('10.99.0.1/32');
    expect(e.liveViews.misses).toBe(readFirst);
    expect(e.liveViews.patched).toBeGreaterThan(0);

    // deleted again: the kernel may drop routes with it unreported, so that namespace alone is read
    await runInNamespace(WEB, 'ip', ['addr', 'del', '10.99.0.1/32', 'dev', 'lo']);
    expect(await addressesOf(e, 'ns-web')).not.toContain('10.99.0.1/32');
    expect(e.liveViews.misses).toBe(readFirst + 1);

    // veth peers are named in a namespace served from memory, as in one read afresh
    const peers = (s: typeof first) =>
      s.nodes.flatMap((n) => n.interfaces.filter((i) => i.peer).map((i) => `${n.node}/${i.name}>${i.peer!.node}`));
    expect(peers(await labState(e, 'two-containers'))).toEqual(peers(first));
  });

  it('sees an iptables rule (an nf_tables change) and ARP entries (activity) at the next read', async () => {
    const e = await applied();
    await labState(e, 'two-containers');
    await runInNamespace(WEB, 'iptables', ['-A', 'OUTPUT', '-d', '10.98.0.0/16', '-j', 'DROP']);
    const web = (await labState(e, 'two-containers')).nodes.find((n) => n.node === 'ns-web')!;
    expect(web.nat?.filter.join('\n')).toContain('10.98.0.0/16');

    const before = web.neighbours.length;
    await runInNamespace(WEB, 'ping', ['-c', '1', '-W', '2', '192.168.100.20']);
    const after = (await labState(e, 'two-containers')).nodes.find((n) => n.node === 'ns-web')!;
    expect(after.neighbours.length).toBeGreaterThan(before);
    expect(after.neighbours.some((n) => n.dst === '192.168.100.20')).toBe(true);
  });

  it('reads a lab destroyed and applied again under the same names afresh', async () => {
    const e = await applied();
    await runInNamespace(WEB, 'ip', ['addr', 'add', '10.99.0.2/32', 'dev', 'lo']);
    expect(await addressesOf(e, 'ns-web')).toContain('10.99.0.2/32');
    await e.destroy('two-containers');
    await e.apply(exampleLab('two-containers.yaml'));
    expect(await addressesOf(e, 'ns-web')).not.toContain('10.99.0.2/32');
  });

  it('joins requests made while a read of the same namespace is in flight, but not across a change', async () => {
    const e = await applied();
    await quiet(e);
    await runInNamespace(WEB, 'ip', ['addr', 'add', '10.99.0.3/32', 'dev', 'lo']);
    await labState(e, 'two-containers');
    // An address deleted is a change the watcher does not patch (kernel live-patch.ts): read again.
    await runInNamespace(WEB, 'ip', ['addr', 'del', '10.99.0.3/32', 'dev', 'lo']);
    const misses = e.liveViews.misses;
    // Three views asked for at once after one change (a tables delta, a check run, a state request): one read.
    const views = await Promise.all([1, 2, 3].map(() => labState(e, 'two-containers')));
    expect(e.liveViews.misses).toBe(misses + 1);
    expect(e.liveViews.joined).toBeGreaterThanOrEqual(2);
    for (const v of views) expect(v).toEqual(views[0]);
    const web = views[0]!.nodes.find((n) => n.node === 'ns-web')!;
    expect(web.interfaces.flatMap((i) => i.addresses ?? [])).not.toContain('10.99.0.3/32');
    // Each caller has its own copy.
    expect(views[1]!.nodes).not.toBe(views[0]!.nodes);

    // A change reported while a read is in flight: a request after it reads again.
    const first = labState(e, 'two-containers');
    await runInNamespace(WEB, 'ip', ['addr', 'add', '10.99.0.4/32', 'dev', 'lo']);
    const second = await labState(e, 'two-containers');
    await first;
    const addresses = second.nodes.find((n) => n.node === 'ns-web')!.interfaces.flatMap((i) => i.addresses ?? []);
    expect(addresses).toContain('10.99.0.4/32');
  });
});
