// The cap on a bridge's learned FDB entries in the plan: set on a new bridge, set again when the
// kernel shows another value (0: the cap went missing), never planned when the value was not read.
import { describe, expect, it } from 'vitest';
import { compile, defaultFdbMaxLearned } from './compile.js';
import { diff } from './diff.js';
import type { Lab } from './model.js';
import { opCommand } from './plan-types.js';
import { plan } from './plan.js';
import type { KernelState } from './state.js';
import { parseLabText } from './parse.js';

const P = 'pb-';
function lab(cap?: number, ports = 1): Lab {
  const l: Lab = {
    name: 'f',
    nodes: { sw: { kind: 'bridge', ...(cap === undefined ? {} : { fdbMaxLearned: cap }) } },
    links: [],
  };
  for (let i = 0; i < ports; i++) {
    l.nodes[`n${i}`] = { kind: 'netns' };
    l.links.push({ a: { node: `n${i}`, interface: 'eth0' }, b: { node: 'sw', interface: `p${i}` } });
  }
  return l;
}
const HOST = 'pb-f._host';
const fdbOps = (l: Lab, observed: KernelState = { namespaces: {} }) =>
  plan(diff(compile(l, P), observed)).ops.filter((o) => o.args.includes('fdb_max_learned'));
/** The kernel as a perfect apply of `l` leaves it, with the bridge's cap as the kernel shows it. */
function observedWith(l: Lab, cap: number | undefined): KernelState {
  const s = structuredClone<KernelState>({ namespaces: compile(l, P).namespaces });
  const br = s.namespaces[HOST]!.links.sw!;
  br.bridge = { stp: false, vlanFiltering: false, ...(cap === undefined ? {} : { fdbMaxLearned: cap, fdbLearned: 3 }) };
  return s;
}

describe('bridge FDB cap', () => {
  it('a new bridge gets the cap right after it is made, as the command a newer iproute2 takes', () => {
    const [op, ...rest] = fdbOps(lab());
    expect(rest).toEqual([]);
    expect(op).toMatchObject({
      tool: 'netlink',
      phase: 'configure',
      ns: HOST,
      subject: { node: '_host', iface: 'sw' },
    });
    expect(op!.args).toEqual(['link', 'set', 'dev', 'sw', 'type', 'bridge', 'fdb_max_learned', '1024']);
    expect(opCommand(op!)).toMatch(
      /^ip -n pb-f\._host link set dev sw type bridge fdb_max_learned 1024 {2}# iproute2 6\.1 lacks this keyword: Patchbay sets IFLA_BR_FDB_MAX_LEARNED over netlink/,
    );
  });

  it('is set again when the kernel shows another value (0: missing), and not when it matches', () => {
    expect(fdbOps(lab(), observedWith(lab(), 1024))).toEqual([]);
    expect(fdbOps(lab(), observedWith(lab(), 0)).map((o) => o.args.at(-1))).toEqual(['1024']);
    expect(fdbOps(lab(64), observedWith(lab(), 1024)).map((o) => o.args.at(-1))).toEqual(['64']);
    expect(fdbOps(lab(64), observedWith(lab(), 1024))[0]!.reason).toMatch(/at most 64 .*was 1024/);
  });

  it('is not planned when the cap was not read (iproute2 JSON lacks it; an older kernel has none)', () => {
    expect(fdbOps(lab(), observedWith(lab(), undefined))).toEqual([]);
  });

  it('defaults to 1024, or twice the ports of a bigger bridge', () => {
    expect(defaultFdbMaxLearned(lab(undefined, 3), 'sw')).toBe(1024);
    expect(defaultFdbMaxLearned(lab(undefined, 600), 'sw')).toBe(1200);
    expect(compile(lab(undefined, 600), P).namespaces[HOST]!.links.sw!.bridge!.fdbMaxLearned).toBe(1200);
  });

  it('the lab format takes 1 to 65536', () => {
    const problems = (cap: number) =>
      parseLabText(`name: f\nnodes:\n  sw: { kind: bridge, fdbMaxLearned: ${cap} }\nlinks: []\n`).problems.map(
        (p) => p.path,
      );
    expect(problems(1)).toEqual([]);
    expect(problems(65_536)).toEqual([]);
    expect(problems(0)).toEqual(['nodes.sw.fdbMaxLearned']);
    expect(problems(65_537)).toEqual(['nodes.sw.fdbMaxLearned']);
  });
});
