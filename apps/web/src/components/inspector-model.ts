// Pure helpers behind the Inspector: which problems belong to a field, immutable edits that keep
// the document clean (an empty optional field is removed, never written as '' or []), number
// parsing for text inputs, and the few structural edits that touch more than one place (renaming an
// interface renames the routes and NAT rules that name it). Every edit returns its input unchanged
// (same object) when nothing changes, so the store records no empty undo step.
import {
  isBridge,
  NAME_RE,
  type BridgeMemberSpec,
  type HostMemberSpec,
  type Lab,
  type LinkEndSpec,
  type LinkSpec,
  type NetNodeSpec,
  type NodeSpec,
  type OverlayMemberSpec,
  type OverlaySpec,
  type Problem,
  type RouteSpec,
} from '@patchbay/topology';
import { linkId, namespaceGroup } from '../model/lab-edit';

// ---------------------------------------------------------------------------------------------
// Problems and paths

/** `child` is `path` itself or below it (`a.b` is below `a`, `a[0]` too; `ab` is not). */
export function isAtOrBelow(child: string, path: string): boolean {
  if (child === path) return true;
  if (!child.startsWith(path)) return false;
  const next = child[path.length];
  return next === '.' || next === '[';
}

/** Problems whose path equals `path` or lies below it. */
export function problemsAt(problems: readonly Problem[], path: string): Problem[] {
  return problems.filter((p) => isAtOrBelow(p.path, path));
}

/** Problems whose path is exactly `path`. */
export function problemsExact(problems: readonly Problem[], path: string): Problem[] {
  return problems.filter((p) => p.path === path);
}

/** `nodes.a.routes[0].via` → itself, `nodes.a.routes[0]`, `nodes.a.routes`, `nodes.a`, `nodes`. */
export function pathAncestors(path: string): string[] {
  const out: string[] = [];
  let p = path;
  while (p) {
    out.push(p);
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) break;
    p = p.slice(0, cut);
  }
  return out;
}

/** What to select for a problem: the node of `nodes.X…`, the link of `links[i]…`; else undefined. */
export function problemSelection(lab: Lab, path: string): { nodes: string[]; links: string[] } | undefined {
  const node = /^nodes\.([^.[]+)/.exec(path);
  if (node?.[1] !== undefined && Object.hasOwn(lab.nodes, node[1])) return { nodes: [node[1]], links: [] };
  const link = /^links\[(\d+)\]/.exec(path);
  if (link?.[1] !== undefined) {
    const l = lab.links[Number(link[1])];
    if (l) return { nodes: [], links: [linkId(l)] };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Clean immutable edits

/** Empty for the document: undefined, null, a blank string, an empty list or an empty object. */
export function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'string') return v.trim() === '';
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Sets an optional field, removing it when `value` is empty; returns `obj` itself when unchanged. */
export function setOptional<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): T {
  if (isEmptyValue(value)) {
    if (!Object.hasOwn(obj, key)) return obj;
    const copy = { ...obj };
    delete copy[key];
    return copy;
  }
  if (Object.hasOwn(obj, key) && sameValue(obj[key], value)) return obj;
  return { ...obj, [key]: value };
}

/** Sets a required field (kept even when empty: the validator reports it); `obj` itself when unchanged. */
export function setRequired<T extends object, K extends keyof T>(obj: T, key: K, value: T[K]): T {
  if (Object.hasOwn(obj, key) && sameValue(obj[key], value)) return obj;
  return { ...obj, [key]: value };
}

export type NumberField = { kind: 'empty' } | { kind: 'number'; value: number } | { kind: 'invalid' };

/** A number typed in a text box: blank is `empty`, `1500` or `-3` or `1.5` a number, anything else invalid. */
export function parseNumberField(text: string): NumberField {
  const t = text.trim();
  if (t === '') return { kind: 'empty' };
  if (!/^[+-]?\d+(\.\d+)?$/.test(t)) return { kind: 'invalid' };
  const value = Number(t);
  return Number.isFinite(value) ? { kind: 'number', value } : { kind: 'invalid' };
}

export function replaceAt<T>(list: readonly T[], i: number, item: T): T[] {
  return list.map((x, k) => (k === i ? item : x));
}
export function removeAt<T>(list: readonly T[], i: number): T[] {
  return list.filter((_, k) => k !== i);
}
export function append<T>(list: readonly T[] | undefined, item: T): T[] {
  return [...(list ?? []), item];
}

/** Tri-state booleans (`forwarding`): default = field absent. */
export type TriState = 'default' | 'on' | 'off';
export const toTriState = (v: boolean | undefined): TriState => (v === undefined ? 'default' : v ? 'on' : 'off');
export const fromTriState = (t: TriState): boolean | undefined => (t === 'default' ? undefined : t === 'on');

// ---------------------------------------------------------------------------------------------
// Lab edits

/** Applies `f` to node `name`; the lab itself when the node is missing or `f` changes nothing. */
export function editNode(lab: Lab, name: string, f: (spec: NodeSpec) => NodeSpec): Lab {
  const spec = lab.nodes[name];
  if (!spec) return lab;
  const next = f(spec);
  return next === spec ? lab : { ...lab, nodes: { ...lab.nodes, [name]: next } };
}

/** Applies `f` to a host/netns/router node (bridges are left alone). */
export function editNetNode(lab: Lab, name: string, f: (spec: NetNodeSpec) => NetNodeSpec): Lab {
  return editNode(lab, name, (s) => (isBridge(s) ? s : f(s)));
}

/** Applies `f` to the link with id `id`; the lab itself when missing or unchanged. */
export function editLink(lab: Lab, id: string, f: (link: LinkSpec) => LinkSpec): Lab {
  const i = lab.links.findIndex((l) => linkId(l) === id);
  const link = lab.links[i];
  if (!link) return lab;
  const next = f(link);
  return next === link ? lab : { ...lab, links: replaceAt(lab.links, i, next) };
}

export function editLinkEnd(lab: Lab, id: string, side: 'a' | 'b', f: (end: LinkEndSpec) => LinkEndSpec): Lab {
  return editLink(lab, id, (l) => {
    const end = f(l[side]);
    return end === l[side] ? l : { ...l, [side]: end };
  });
}

/** Applies `f` to overlay `i`. */
export function editOverlay(lab: Lab, i: number, f: (o: OverlaySpec) => OverlaySpec): Lab {
  const o = lab.overlays?.[i];
  if (!lab.overlays || !o) return lab;
  const next = f(o);
  return next === o ? lab : { ...lab, overlays: replaceAt(lab.overlays, i, next) };
}

/** Removes overlay `i`; the `overlays` field goes away with the last one. */
export function removeOverlay(lab: Lab, i: number): Lab {
  if (!lab.overlays?.[i]) return lab;
  return setOptional(lab, 'overlays', removeAt(lab.overlays, i));
}

/** Why `to` cannot be node `from`'s new name, or undefined. */
export function nodeNameError(lab: Lab, from: string, to: string): string | undefined {
  if (to === from) return undefined;
  if (to === '') return 'a node needs a name';
  if (!NAME_RE.test(to))
    return `names must match ${NAME_RE.source.replace(/^\^|\$$/g, '')}: a lowercase letter, then lowercase letters, digits or -`;
  if (Object.hasOwn(lab.nodes, to)) return `there is already a node named ${to}`;
  return undefined;
}

/** Positions with `from`'s entry moved to `to`. */
export function renamePosition<P>(positions: Record<string, P>, from: string, to: string): Record<string, P> {
  if (!Object.hasOwn(positions, from) || from === to) return positions;
  const out: Record<string, P> = {};
  for (const [k, v] of Object.entries(positions)) out[k === from ? to : k] = v;
  return out;
}

/**
 * Renames one end's interface and, in the node whose namespace it lands in (the node itself, a
 * bridge's host), the routes (`dev`) and NAT rules (`out`, `notOut`) that named it. Returns the lab
 * and the link's new id.
 */
export function renameInterface(lab: Lab, id: string, side: 'a' | 'b', name: string): { lab: Lab; id: string } {
  const link = lab.links.find((l) => linkId(l) === id);
  if (!link || link[side].interface === name) return { lab, id };
  const old = link[side].interface;
  const nextLink = { ...link, [side]: { ...link[side], interface: name } };
  let next = editLink(lab, id, () => nextLink);
  const owner = namespaceGroup(lab, link[side].node);
  // Another end in the same namespace with the old name (a clash) keeps the references.
  const stillUsed = next.links.some((l) =>
    [l.a, l.b].some((e) => e.interface === old && namespaceGroup(next, e.node) === owner),
  );
  if (!stillUsed) {
    next = editNetNode(next, owner, (spec) => {
      let s = spec;
      if (s.routes?.some((r) => 'dev' in r && r.dev === old)) {
        s = { ...s, routes: s.routes.map((r) => ('dev' in r && r.dev === old ? { ...r, dev: name } : r)) };
      }
      if (s.nat?.some((n) => n.out === old || n.notOut === old)) {
        s = {
          ...s,
          nat: s.nat.map((n) => ({
            ...n,
            ...(n.out === old ? { out: name } : {}),
            ...(n.notOut === old ? { notOut: name } : {}),
          })),
        };
      }
      return s;
    });
  }
  return { lab: next, id: linkId(nextLink) };
}

/** Interface names a node's routes and NAT rules may name (its link ends; for a host, its bridges' ports too). */
export function interfacesOf(lab: Lab, node: string): string[] {
  const out = new Set<string>();
  for (const l of lab.links) for (const e of [l.a, l.b]) if (namespaceGroup(lab, e.node) === node) out.add(e.interface);
  for (const [n, spec] of Object.entries(lab.nodes)) if (isBridge(spec) && spec.host === node) out.add(n);
  return [...out].sort();
}

/** By gateway, by device, or (IPv6: a link-local gateway must name its interface) by both. */
export type RouteMode = 'via' | 'dev' | 'via-dev';
export const routeMode = (r: RouteSpec): RouteMode =>
  'via' in r && r.dev !== undefined ? 'via-dev' : 'dev' in r && !('via' in r) ? 'dev' : 'via';
export const routeTarget = (r: RouteSpec): string => ('via' in r ? r.via : r.dev);

/** The same route by gateway, by device, or by both (the value carries over; the device too). */
export function withRouteMode(r: RouteSpec, mode: RouteMode, value: string = routeTarget(r)): RouteSpec {
  if (routeMode(r) === mode && routeTarget(r) === value) return r;
  if (mode === 'via-dev') return { to: r.to, via: value, dev: r.dev ?? '' };
  return mode === 'via' ? { to: r.to, via: value } : { to: r.to, dev: value };
}

/** A gateway route's interface set (IPv6 `via … dev …`). */
export function withRouteDev(r: RouteSpec, dev: string): RouteSpec {
  return { to: r.to, via: 'via' in r ? r.via : '', dev };
}

/** A new route row: the default route if there is none yet. */
export function newRoute(routes: readonly RouteSpec[] | undefined): RouteSpec {
  return { to: routes?.some((r) => r.to === 'default') ? '' : 'default', via: '' };
}

// Overlay members are chosen in one select: `bridge:NAME` or `host:NAME`.
export const memberRef = (m: OverlayMemberSpec): string => ('bridge' in m ? `bridge:${m.bridge}` : `host:${m.host}`);

/** A member pointed at another bridge or host; `local` stays, host addresses stay with hosts. */
export function memberFromRef(m: OverlayMemberSpec, ref: string): OverlayMemberSpec {
  if (memberRef(m) === ref) return m;
  const [kind, name = ''] = [ref.slice(0, ref.indexOf(':')), ref.slice(ref.indexOf(':') + 1)];
  const local = m.local !== undefined ? { local: m.local } : {};
  if (kind === 'bridge') return { bridge: name, ...local } satisfies BridgeMemberSpec;
  const addresses = 'host' in m && m.addresses ? { addresses: m.addresses } : {};
  return { host: name, ...local, ...addresses } satisfies HostMemberSpec;
}

/** Bridges and hosts an overlay can have as members, in lab order. */
export function memberCandidates(lab: Lab): { bridges: string[]; hosts: string[] } {
  const entries = Object.entries(lab.nodes);
  return {
    bridges: entries.filter(([, s]) => s.kind === 'bridge').map(([n]) => n),
    hosts: entries.filter(([, s]) => s.kind === 'host').map(([n]) => n),
  };
}

/** A member for overlay `o`: the first bridge (or host) not in it yet; undefined if none is left. */
export function newMember(lab: Lab, o: OverlaySpec): OverlayMemberSpec | undefined {
  const taken = new Set(o.members.map(memberRef));
  const { bridges, hosts } = memberCandidates(lab);
  const bridge = bridges.find((b) => !taken.has(`bridge:${b}`));
  if (bridge) return { bridge };
  const host = hosts.find((h) => !taken.has(`host:${h}`));
  return host ? { host } : undefined;
}

/** A fresh overlay: the first free name `ovN` and the first free VNI from 1. */
export function newOverlay(lab: Lab): OverlaySpec {
  const names = new Set(lab.overlays?.map((o) => o.name));
  const vnis = new Set(lab.overlays?.map((o) => o.vni));
  let n = 1;
  while (names.has(`ov${n}`)) n++;
  let vni = 1;
  while (vnis.has(vni)) vni++;
  const first = newMember(lab, { name: '', vni, members: [] });
  return { name: `ov${n}`, vni, members: first ? [first] : [] };
}
