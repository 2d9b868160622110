// Shared by the walk's real-kernel tests: a lab applied from YAML, a command run in one of its
// nodes (what a student types in a shell there), a listener started and stopped, and a compact view
// of a result's hops to assert on.
import { execInNamespace, killProcessesIn, readListening } from '@patchbay/kernel';
import { compile, parseLabText, type Lab, type WhyResult } from '@patchbay/topology';
import { expect } from 'vitest';
import { ping, type TestEngine } from '../test-support.js';

export function labOf(yaml: string): Lab {
  const { lab, problems } = parseLabText(yaml);
  if (!lab || problems.some((p) => p.severity !== 'warning')) throw new Error(JSON.stringify(problems));
  return lab;
}

/** Applies `lab` and returns it; the test's cleanup destroys it. */
export async function applyLab(t: TestEngine, lab: Lab): Promise<Lab> {
  const r = await t.engine.apply(lab);
  expect(r.drift, JSON.stringify(r.drift)).toEqual([]);
  return lab;
}

/** The kernel namespace of `node` (a bridge: its host's). */
export function nsOf(t: TestEngine, lab: Lab, node: string): string {
  const ns = compile(lab, t.engine.prefix).names.nodeNamespace[node];
  if (!ns) throw new Error(`no node ${node}`);
  return ns;
}

/** Runs argv in `node`'s namespace and expects it to succeed. */
export async function inNode(t: TestEngine, lab: Lab, node: string, argv: string[]): Promise<void> {
  const r = await execInNamespace(nsOf(t, lab, node), argv, { stdio: 'pipe', timeoutMs: 10_000 });
  expect(r.code, `${argv.join(' ')}: ${r.stderr ?? ''}`).toBe(0);
}

/**
 * Starts `nc -l` (tcp) or `nc -lu` (udp) on `port` in `node` and waits until the kernel lists the
 * socket. The returned stop ends every process of that namespace (only the test's own listener
 * runs there); call it in the test's cleanup, before the namespaces go.
 */
export async function listen(
  t: TestEngine,
  lab: Lab,
  node: string,
  proto: 'tcp' | 'udp',
  port: number,
): Promise<() => Promise<void>> {
  const ns = nsOf(t, lab, node);
  const argv = ['nc', proto === 'tcp' ? '-lk' : '-lku', String(port)];
  void execInNamespace(ns, argv, { stdio: 'pipe', timeoutMs: 120_000 }).catch(() => undefined);
  const stop = async () => {
    await killProcessesIn([ns]);
  };
  for (let i = 0; i < 50; i++) {
    if ((await readListening(ns, proto)).some((s) => s.port === port)) return stop;
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`nc did not listen on ${proto} ${port} in ${node}`);
}

/** "node:action" of every hop, the interfaces in brackets: a path to compare at a glance. */
export function pathOf(hops: WhyResult['forward']): string[] {
  return hops.map((h) => `${h.node}:${h.action}${h.in || h.out ? `[${h.in ?? ''}>${h.out ?? ''}]` : ''}`);
}

/** The common assertions of a blocked answer; returns it for more. */
export function expectBlocked(
  r: WhyResult,
  want: { direction: 'forward' | 'reverse'; node: string; reason: string; interface?: string },
): NonNullable<WhyResult['blocked']> {
  const view = JSON.stringify({ blocked: r.blocked, forward: pathOf(r.forward), reverse: pathOf(r.reverse) }, null, 1);
  expect(r.reachable, view).toBe(false);
  expect(r.blocked, view).toBeDefined();
  const b = r.blocked!;
  expect({ direction: b.direction, node: b.node, reason: b.reason }, view).toEqual({
    direction: want.direction,
    node: want.node,
    reason: want.reason,
  });
  if (want.interface !== undefined) expect(b.interface, view).toBe(want.interface);
  expect(b.detail.length, view).toBeGreaterThan(20);
  expect(b.fix, `${view}\na blocked answer has a fix`).toBeTruthy();
  // The last hop of the blocked direction is the drop, at the named node or where it died.
  const hops = b.direction === 'forward' ? r.forward : r.reverse;
  expect(hops.at(-1)?.action, view).toBe('drop');
  return b;
}

/** Every hop says what happened in words and, except a drop told by the blocked answer, how to see it. */
export function expectExplained(r: WhyResult): void {
  for (const h of [...r.forward, ...r.reverse]) {
    expect(h.detail.length, JSON.stringify(h)).toBeGreaterThan(15);
    if (h.action === 'route' || h.action === 'send' || h.action === 'deliver' || h.action === 'switch')
      expect(h.commands?.length ?? 0, JSON.stringify(h)).toBeGreaterThan(0);
  }
  for (const h of r.reverse)
    if (h.action === 'send' || h.action === 'route' || h.action === 'deliver')
      expect(h.detail, JSON.stringify(h)).toMatch(/reply/);
}

/** a — r1 — … — rN — b: N routers in a row, each routing both ends' subnets. */
export function routerChain(n: number): string {
  const net = (i: number) => `10.6.${i}`;
  const nodes = [`  a: { kind: netns, routes: [{ to: default, via: ${net(0)}.2 }] }`];
  for (let i = 1; i <= n; i++) {
    const routes = [];
    if (i > 1) routes.push(`{ to: ${net(0)}.0/24, via: ${net(i - 1)}.1 }`);
    if (i < n) routes.push(`{ to: ${net(n)}.0/24, via: ${net(i)}.2 }`);
    nodes.push(`  r${i}: { kind: router, routes: [${routes.join(', ')}] }`);
  }
  nodes.push(`  b: { kind: netns, routes: [{ to: default, via: ${net(n)}.1 }] }`);
  const links = [];
  const ends = ['a', ...Array.from({ length: n }, (_, i) => `r${i + 1}`), 'b'];
  for (let i = 0; i <= n; i++)
    links.push(
      `  - a: { node: ${ends[i]}, interface: ${i === 0 ? 'eth0' : 'eth1'}, addresses: [${net(i)}.1/24] }\n` +
        `    b: { node: ${ends[i + 1]}, interface: eth0, addresses: [${net(i)}.2/24] }`,
    );
  return `name: chain${n}\nnodes:\n${nodes.join('\n')}\nlinks:\n${links.join('\n')}\n`;
}

/** The kernel's own word on an icmp answer: a real ping from `from` to `to` gets a reply or not. */
export async function expectPing(t: TestEngine, lab: Lab, from: string, to: string, reachable: boolean): Promise<void> {
  const ok = await ping(nsOf(t, lab, from), to, 1, 2);
  expect(ok, `a real ping ${from} → ${to}`).toBe(reachable);
}
