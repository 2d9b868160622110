// The plan's `neigh` operations: an address that gets a new MAC (its owner made again, moved, or
// given another MAC) is flushed from the ARP tables of the nodes on its subnet that keep their
// interface, after the new owner is configured; nothing for new neighbours, other subnets, or a
// lab built from nothing.
import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { diff } from './diff.js';
import { kindChangedNamespaces } from './kind-change.js';
import type { Lab } from './model.js';
import { parseLabText } from './parse.js';
import { STAGES, opCommand } from './plan-types.js';
import { plan } from './plan.js';
import type { DesiredState, KernelState } from './state.js';

const P = 'pb-';
const NS = (node: string) => `pb-seg.${node}`;

/**
 * Host `h` with bridge `sw` (192.0.2.1/24 on the bridge device), netns `a` and `b` on it, and
 * router `r` (a leg on sw, a leg to netns `far` in 198.51.100.0/24). Options leave `b` out, pin
 * b's MAC, or make `b` a router.
 */
function lab(opts: { withB?: boolean; bMac?: string; bKind?: 'netns' | 'router'; aAddress?: string } = {}): Lab {
  const { withB = true, bMac, bKind = 'netns', aAddress = '192.0.2.10/24' } = opts;
  const text = `name: seg
nodes:
  h: { kind: host }
  sw: { kind: bridge, host: h, addresses: [192.0.2.1/24] }
  a: { kind: netns }
${withB ? `  b: { kind: ${bKind} }\n` : ''}  r: { kind: router }
  far: { kind: netns }
links:
  - a: { node: a, interface: eth0, addresses: [${aAddress}] }
    b: { node: sw, interface: p-a }
${withB ? `  - a: { node: b, interface: eth0, addresses: [192.0.2.20/24]${bMac ? `, mac: '${bMac}'` : ''} }\n    b: { node: sw, interface: p-b }\n` : ''}  - a: { node: r, interface: eth0, addresses: [192.0.2.254/24] }
    b: { node: sw, interface: p-r }
  - a: { node: r, interface: eth1, addresses: [198.51.100.1/24] }
    b: { node: far, interface: eth0, addresses: [198.51.100.2/24] }
`;
  const { lab: parsed, problems } = parseLabText(text);
  if (!parsed || problems.length) throw new Error(JSON.stringify(problems));
  return parsed;
}

/** What the kernel would report after a perfect apply of `d`. */
const asObserved = (d: DesiredState): KernelState => structuredClone({ namespaces: d.namespaces });
const planOf = (next: Lab, before: Lab | undefined, replace?: ReadonlySet<string>) =>
  plan(diff(compile(next, P), before ? asObserved(compile(before, P)) : { namespaces: {} }, replace ? { replace } : {}))
    .ops;
const flushes = (ops: ReturnType<typeof planOf>) => ops.filter((o) => o.kind === 'neigh').map(opCommand);

describe("the plan's neighbour flushes", () => {
  it('a node re-created (deleted by one apply, back in the next): every neighbour on its subnet forgets its address', () => {
    const ops = planOf(lab(), lab({ withB: false }));
    expect(flushes(ops)).toEqual([
      `ip -n ${NS('a')} neigh flush to 192.0.2.20 dev eth0`,
      `ip -n ${NS('h')} neigh flush to 192.0.2.20 dev sw`,
      `ip -n ${NS('r')} neigh flush to 192.0.2.20 dev eth0`,
    ]);
    const first = ops.find((o) => o.kind === 'neigh')!;
    expect(first).toMatchObject({
      phase: 'neigh',
      tool: 'ip',
      ns: NS('a'),
      action: 'change',
      args: ['neigh', 'flush', 'to', '192.0.2.20', 'dev', 'eth0'],
      subject: { node: 'a', iface: 'eth0', detail: '192.0.2.20' },
    });
    expect(first.reason).toMatch(/192\.0\.2\.20 is new on b eth0: forget any old MAC/);
    // Last, once the new owner is configured and up: the next packet asks for the new MAC.
    const lastOther = Math.max(...ops.flatMap((o, i) => (o.kind === 'neigh' ? [] : [i])));
    expect(ops.findIndex((o) => o.kind === 'neigh')).toBeGreaterThan(lastOther);
    // the last kernel stage: only CNI ADDs (cni.ts) and `run:` processes (run.ts) come after it
    expect(STAGES.at(-3)).toContain('neigh');
    expect(STAGES.slice(-2)).toEqual([['cni'], ['process']]);
    expect(STAGES.at(-1)).toEqual(['process']);
  });

  it('an interface given another MAC: its addresses are flushed, as a MAC change', () => {
    const ops = planOf(lab({ bMac: '02:00:00:00:00:21' }), lab({ bMac: '02:00:00:00:00:20' }));
    expect(ops.filter((o) => o.kind !== 'neigh').map(opCommand)).toEqual([
      `ip -n ${NS('b')} link set dev eth0 address 02:00:00:00:00:21`,
    ]);
    expect(flushes(ops)).toEqual([
      `ip -n ${NS('a')} neigh flush to 192.0.2.20 dev eth0`,
      `ip -n ${NS('h')} neigh flush to 192.0.2.20 dev sw`,
      `ip -n ${NS('r')} neigh flush to 192.0.2.20 dev eth0`,
    ]);
    expect(ops.find((o) => o.kind === 'neigh')!.reason).toMatch(/b eth0 gets another MAC/);
  });

  it("a node whose kind changed (its namespace made again) is a new owner too; the owner's own namespace is not flushed", () => {
    const replace = kindChangedNamespaces(lab(), lab({ bKind: 'router' }), P);
    const ops = planOf(lab({ bKind: 'router' }), lab(), replace);
    expect(flushes(ops)).toEqual([
      `ip -n ${NS('a')} neigh flush to 192.0.2.20 dev eth0`,
      `ip -n ${NS('h')} neigh flush to 192.0.2.20 dev sw`,
      `ip -n ${NS('r')} neigh flush to 192.0.2.20 dev eth0`,
    ]);
  });

  it('nothing in other subnets or new namespaces, nothing when no address moves; one flush per neighbour, interface and address', () => {
    // `far` is behind the router: it holds the router's MAC for 192.0.2.0/24, never b's.
    const back = flushes(planOf(lab(), lab({ withB: false })));
    expect(back.some((c) => c.includes(NS('far')) || c.includes('dev eth1'))).toBe(false);
    // Built from nothing (also `export --script`): every table is empty, nothing to flush.
    expect(flushes(planOf(lab(), undefined))).toEqual([]);
    // Applied again unchanged: no operation at all.
    expect(planOf(lab(), lab())).toEqual([]);
    // b back while a changes its address: a (which keeps eth0) forgets b's; b, new, flushes nothing.
    const ops = planOf(lab(), lab({ withB: false, aAddress: '192.0.2.11/24' }));
    expect(flushes(ops)).toEqual([
      `ip -n ${NS('a')} neigh flush to 192.0.2.20 dev eth0`,
      `ip -n ${NS('h')} neigh flush to 192.0.2.10 dev sw`,
      `ip -n ${NS('h')} neigh flush to 192.0.2.20 dev sw`,
      `ip -n ${NS('r')} neigh flush to 192.0.2.10 dev eth0`,
      `ip -n ${NS('r')} neigh flush to 192.0.2.20 dev eth0`,
    ]);
  });
});
