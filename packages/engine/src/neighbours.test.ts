// A node deleted and re-created on a running lab (or given another MAC) must be reachable at once:
// its neighbours on the shared subnet would otherwise keep its old MAC in their ARP tables and send
// to it until the entry ages out (REACHABLE for ~30 s, then DELAY and PROBE: several seconds of
// lost packets). The apply flushes those entries. Real kernel, prefix pbneigh-.
import { afterEach, describe, expect, it } from 'vitest';
import { execInNamespace, runInNamespace } from '@patchbay/kernel';
import { opCommand, parseLabText, type Lab } from '@patchbay/topology';
import { testEngine, type TestEngine } from './test-support.js';

const PREFIX = 'pbneigh-';
const NS = (node: string) => `${PREFIX}seg.${node}`;

/** Netns `a` and, unless `withB` is false, netns `b` on bridge `sw` of host `h`; `bMac` pins b's MAC. */
function lab(withB: boolean, bMac?: string): Lab {
  const text = `name: seg
nodes:
  h: { kind: host }
  sw: { kind: bridge, host: h }
  a: { kind: netns }
${withB ? '  b: { kind: netns }\n' : ''}links:
  - a: { node: a, interface: eth0, addresses: [10.77.0.1/24] }
    b: { node: sw, interface: p-a }
${withB ? `  - a: { node: b, interface: eth0, addresses: [10.77.0.2/24]${bMac ? `, mac: '${bMac}'` : ''} }\n    b: { node: sw, interface: p-b }\n` : ''}`;
  const { lab: parsed, problems } = parseLabText(text);
  if (!parsed || problems.length) throw new Error(JSON.stringify(problems));
  return parsed;
}

/** `ping -c3` from `ns`: how many of the 3 echo requests were answered. */
async function answered(ns: string, ip: string): Promise<number> {
  const r = await execInNamespace(ns, ['ping', '-n', '-c', '3', '-i', '0.2', '-W', '1', ip], { stdio: 'pipe' });
  const m = /(\d+) received/.exec(r.stdout ?? '');
  if (!m) throw new Error(`ping gave no summary: ${r.stdout} ${r.stderr}`);
  return Number(m[1]!);
}

/** The MAC `ns` has for `ip` on `dev` (undefined: no entry with an address). */
async function neighbourMac(ns: string, ip: string, dev: string): Promise<string | undefined> {
  const r = await runInNamespace(ns, 'ip', ['-j', 'neigh', 'show', 'to', ip, 'dev', dev]);
  return (JSON.parse(r.stdout || '[]') as { lladdr?: string }[])[0]?.lladdr;
}

async function macOf(ns: string, dev: string): Promise<string> {
  const r = await runInNamespace(ns, 'ip', ['-j', 'link', 'show', 'dev', dev]);
  return (JSON.parse(r.stdout) as { address: string }[])[0]!.address;
}

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  await t?.cleanup();
  t = undefined;
});

describe("a re-created address owner's neighbours", () => {
  // A watching engine (the server's) has the namespace watcher flush over its netlink sockets
  // (neighbour-flushes.ts); the one-shot engine runs `ip neigh flush`. Same plan, same outcome.
  it.each([
    ['one-shot', false],
    ['watching', true],
  ])(
    '%s: a node deleted and re-created: its neighbour forgets the old MAC, every ping is answered',
    async (_, watch) => {
      t = testEngine(PREFIX, { watch });
      const byWatcher: unknown[] = [];
      const registry = t.engine.watches;
      const flush = registry.flushNeighbours.bind(registry);
      registry.flushNeighbours = async (f) => {
        const r = await flush(f);
        byWatcher.push(r);
        return r;
      };
      await t.engine.apply(lab(true));
      expect(await answered(NS('a'), '10.77.0.2')).toBe(3);
      const oldMac = await macOf(NS('b'), 'eth0');
      expect(await neighbourMac(NS('a'), '10.77.0.2', 'eth0')).toBe(oldMac);

      await t.engine.apply(lab(false));
      const back = await t.engine.apply(lab(true));
      const newMac = await macOf(NS('b'), 'eth0');
      expect(newMac).not.toBe(oldMac);
      // The plan says so, in a's namespace, for b's address.
      const flushes = back.ops.filter((o) => o.kind === 'neigh');
      expect(flushes.map(opCommand)).toEqual([`ip -n ${NS('a')} neigh flush to 10.77.0.2 dev eth0`]);
      expect(flushes[0]!.subject).toEqual({ node: 'a', iface: 'eth0', detail: '10.77.0.2' });
      expect(await neighbourMac(NS('a'), '10.77.0.2', 'eth0')).toBeUndefined();

      expect(await answered(NS('a'), '10.77.0.2')).toBe(3);
      expect(await neighbourMac(NS('a'), '10.77.0.2', 'eth0')).toBe(newMac);
    },
  );

  it("an interface given another MAC: its neighbour's entry goes with the apply, every ping is answered", async () => {
    t = testEngine(PREFIX);
    await t.engine.apply(lab(true, '02:77:00:00:00:02'));
    expect(await answered(NS('a'), '10.77.0.2')).toBe(3);
    expect(await neighbourMac(NS('a'), '10.77.0.2', 'eth0')).toBe('02:77:00:00:00:02');
    const changed = await t.engine.apply(lab(true, '02:77:00:00:00:20'));
    expect(changed.ops.filter((o) => o.kind === 'neigh').map(opCommand)).toEqual([
      `ip -n ${NS('a')} neigh flush to 10.77.0.2 dev eth0`,
    ]);
    expect(await answered(NS('a'), '10.77.0.2')).toBe(3);
    expect(await neighbourMac(NS('a'), '10.77.0.2', 'eth0')).toBe('02:77:00:00:00:20');
  });
});
