// The star lab (one bridge `br0`, N leaf namespaces, each linked to the bridge by a veth pair), and
// the checks every realized star must pass, whoever made it: readiness (first ping) and equivalence.

import type { Lab } from '@patchbay/topology';
import { now, pad4, sh } from './util.js';

export const leafName = (i: number) => `l${pad4(i)}`;
export const portName = (i: number) => `h${pad4(i)}`;
/** Leaf i (1-based) → 10.200.x.y with y in 1..250: N=1000 ends at 10.200.3.250. */
export const leafIp = (i: number) => `10.200.${Math.floor((i - 1) / 250)}.${((i - 1) % 250) + 1}`;

export function starLab(n: number): Lab {
  const lab: Lab = { name: `star${n}`, nodes: { br0: { kind: 'bridge' } }, links: [] };
  for (let i = 1; i <= n; i++) {
    lab.nodes[leafName(i)] = { kind: 'netns' };
    lab.links.push({
      a: { node: leafName(i), interface: 'eth0', addresses: [`${leafIp(i)}/16`] },
      b: { node: 'br0', interface: portName(i) },
    });
  }
  return lab;
}

/** The engine's namespace names for star lab `lab` with `prefix`: the host first, then the leaves. */
export function engineNamespaces(prefix: string, lab: string, n: number): { host: string; leaves: string[] } {
  return {
    host: `${prefix}${lab}._host`,
    leaves: Array.from({ length: n }, (_, k) => `${prefix}${lab}.${leafName(k + 1)}`),
  };
}

/** First ping from `fromNs` to `ip`; retries until it answers. Returns ms after the call. */
export function pingReady(fromNs: string, ip: string): { ms: number; attempts: number } {
  const t0 = now();
  for (let attempt = 1; attempt <= 10; attempt++) {
    const r = sh('nsenter', [`--net=/run/netns/${fromNs}`, '--', 'ping', '-c1', '-W2', '-n', '-q', ip]);
    if (r.status === 0) return { ms: now() - t0, attempts: attempt };
  }
  throw new Error(`${fromNs} cannot ping ${ip}`);
}

interface JLink {
  ifname: string;
  flags?: string[];
  operstate?: string;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family?: string; local?: string; prefixlen?: number; scope?: string }[];
}

function jsonIn(ns: string, args: string[]): JLink[] {
  const r = sh('nsenter', [`--net=/run/netns/${ns}`, '--', 'ip', '-j', ...args]);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} in ${ns}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as JLink[];
}

/**
 * Asserts the realized star is what was asked for: the host has bridge br0 up and exactly N veths,
 * each a port of br0 and up with carrier; every leaf has lo up and eth0 up with its address.
 * Returns the number of IPv6 link-local addresses seen on leaves' eth0 (0 when addrgenmode is none).
 */
export function verifyStar(hostNs: string, bridge: string, leaves: readonly string[]): { linkLocal: number } {
  const n = leaves.length;
  const host = jsonIn(hostNs, ['-d', 'link', 'show']);
  const br = host.find((l) => l.ifname === bridge);
  if (!br || br.linkinfo?.info_kind !== 'bridge' || !br.flags?.includes('UP'))
    throw new Error(`${hostNs}: bridge ${bridge} missing or down`);
  const veths = host.filter((l) => l.linkinfo?.info_kind === 'veth');
  if (veths.length !== n) throw new Error(`${hostNs}: ${veths.length} veths, expected ${n}`);
  const bad = veths.filter((l) => l.master !== bridge || !l.flags?.includes('UP') || !l.flags?.includes('LOWER_UP'));
  if (bad.length)
    throw new Error(`${hostNs}: ${bad.length} veth(s) not an up port of ${bridge}, e.g. ${bad[0]!.ifname}`);
  let linkLocal = 0;
  leaves.forEach((ns, k) => {
    const links = jsonIn(ns, ['addr', 'show']);
    const lo = links.find((l) => l.ifname === 'lo');
    const eth = links.find((l) => l.ifname === 'eth0');
    if (!lo?.flags?.includes('UP')) throw new Error(`${ns}: lo not up`);
    if (!eth?.flags?.includes('UP')) throw new Error(`${ns}: eth0 missing or down`);
    const v4 = (eth.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
    const want = `${leafIp(k + 1)}/16`;
    if (v4.length !== 1 || v4[0] !== want) throw new Error(`${ns}: eth0 has ${JSON.stringify(v4)}, expected ${want}`);
    linkLocal += (eth.addr_info ?? []).filter((a) => a.family === 'inet6' && a.scope === 'link').length;
  });
  return { linkLocal };
}
