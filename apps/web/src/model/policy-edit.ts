// Pure edits of a NetworkPolicy as the inspector makes them, and what the canvas shows of policies.
// A rule's peers and ports are typed as short structured text, parsed into the lab's fields (never
// kept as free text in the lab): peers "app=api, db, 10.0.0.0/8, *" — a label (one podSelector per
// label), a pod by name, an ipBlock, every pod — and ports "TCP 5432, UDP 53, 8000-8080" (TCP when no
// protocol is given; a range is port..endPort).
import {
  type Lab,
  type NetworkPolicySpec,
  type PolicyPeerSpec,
  type PolicyPortSpec,
  selectPods,
} from '@patchbay/topology';

export type PolicyDirection = 'ingress' | 'egress';
type PolicyType = 'Ingress' | 'Egress';

/** The directions a policy isolates: its policyTypes, else Kubernetes' default. */
export function policyTypesOf(p: NetworkPolicySpec): PolicyType[] {
  return p.policyTypes ?? (p.egress !== undefined ? ['Ingress', 'Egress'] : ['Ingress']);
}

/** The policy isolating `type` or not; a direction it gains starts as default deny (no rules). */
export function setPolicyType(p: NetworkPolicySpec, type: PolicyType, on: boolean): NetworkPolicySpec {
  const types = new Set(policyTypesOf(p));
  if (on) types.add(type);
  else types.delete(type);
  const next: NetworkPolicySpec = { ...p, policyTypes: (['Ingress', 'Egress'] as const).filter((t) => types.has(t)) };
  const key = type === 'Ingress' ? 'ingress' : 'egress';
  if (on && next[key] === undefined) next[key] = [];
  if (!on) delete next[key];
  return next;
}

/** One peer as text: "app=api" (labels), "db" (a pod), "10.0.0.0/8" (ipBlock), "*" (every pod). */
export function peerText(peer: PolicyPeerSpec): string {
  if (peer.ipBlock) return peer.ipBlock.cidr;
  const sel = peer.podSelector ?? {};
  const parts = [...(sel.nodes ?? []), ...Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)];
  return parts.length ? parts.join(' & ') : '*';
}

export function peersText(peers: PolicyPeerSpec[] | undefined): string {
  return (peers ?? []).map(peerText).join(', ');
}

/** "app=api, db, 10.0.0.0/8, *" → peers; "" → undefined (anyone). "a & app=x": one selector with both. */
export function parsePeers(text: string): PolicyPeerSpec[] | undefined {
  const peers: PolicyPeerSpec[] = [];
  for (const item of text.split(',')) {
    const t = item.trim();
    if (!t) continue;
    if (t === '*') {
      peers.push({ podSelector: {} });
      continue;
    }
    if (t.includes('/')) {
      peers.push({ ipBlock: { cidr: t } });
      continue;
    }
    const nodes: string[] = [];
    const matchLabels: Record<string, string> = {};
    for (const part of t.split('&')) {
      const p = part.trim();
      if (!p) continue;
      const eq = p.indexOf('=');
      if (eq < 0) nodes.push(p);
      else matchLabels[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
    }
    peers.push({
      podSelector: {
        ...(nodes.length ? { nodes } : {}),
        ...(Object.keys(matchLabels).length ? { matchLabels } : {}),
      },
    });
  }
  return peers.length ? peers : undefined;
}

export function portsText(ports: PolicyPortSpec[] | undefined): string {
  return (ports ?? [])
    .map((p) => {
      const proto = p.protocol ?? 'TCP';
      if (p.port === undefined) return proto;
      return `${proto} ${p.port}${p.endPort !== undefined ? `-${p.endPort}` : ''}`;
    })
    .join(', ');
}

/**
 * "TCP 5432, UDP 53, 8000-8080, UDP" → ports (undefined: every port); `bad`: the first item that is
 * no port, and then nothing is changed.
 */
export function parsePorts(text: string): { ports?: PolicyPortSpec[]; bad?: string } {
  const ports: PolicyPortSpec[] = [];
  for (const item of text.split(',')) {
    const t = item.trim();
    if (!t) continue;
    const m = /^(?:(tcp|udp)\s*)?(\d{1,5})?(?:\s*-\s*(\d{1,5}))?$/i.exec(t);
    if (!m || (!m[1] && !m[2]) || (m[3] && !m[2])) return { bad: t };
    ports.push({
      ...(m[1] ? { protocol: m[1].toUpperCase() as 'TCP' | 'UDP' } : {}),
      ...(m[2] ? { port: Number(m[2]) } : {}),
      ...(m[3] ? { endPort: Number(m[3]) } : {}),
    });
  }
  return ports.length ? { ports } : {};
}

type Rule = { from?: PolicyPeerSpec[]; to?: PolicyPeerSpec[]; ports?: PolicyPortSpec[] };
const peersKey = (dir: PolicyDirection) => (dir === 'ingress' ? 'from' : 'to');

/** The rules of one direction (ingress: from, egress: to). */
export function rulesOf(p: NetworkPolicySpec, dir: PolicyDirection): Rule[] {
  return (dir === 'ingress' ? p.ingress : p.egress) ?? [];
}

function withRules(p: NetworkPolicySpec, dir: PolicyDirection, rules: Rule[]): NetworkPolicySpec {
  return dir === 'ingress'
    ? { ...p, ingress: rules.map(({ from, ports }) => ({ ...(from ? { from } : {}), ...(ports ? { ports } : {}) })) }
    : { ...p, egress: rules.map(({ to, ports }) => ({ ...(to ? { to } : {}), ...(ports ? { ports } : {}) })) };
}

/** A new rule allowing everything in `dir` (the user then narrows peers and ports); the direction is isolated. */
export function addPolicyRule(p: NetworkPolicySpec, dir: PolicyDirection): NetworkPolicySpec {
  const typed = setPolicyType(p, dir === 'ingress' ? 'Ingress' : 'Egress', true);
  return withRules(typed, dir, [...rulesOf(typed, dir), {}]);
}

export function removePolicyRule(p: NetworkPolicySpec, dir: PolicyDirection, i: number): NetworkPolicySpec {
  return withRules(
    p,
    dir,
    rulesOf(p, dir).filter((_, k) => k !== i),
  );
}

/** Rule `i` with its peers (from the text) set. */
export function setRulePeers(p: NetworkPolicySpec, dir: PolicyDirection, i: number, text: string): NetworkPolicySpec {
  const rules = rulesOf(p, dir).map((r, k) => {
    if (k !== i) return r;
    const { [peersKey(dir)]: _old, ...rest } = r;
    const peers = parsePeers(text);
    return peers ? { ...rest, [peersKey(dir)]: peers } : rest;
  });
  return withRules(p, dir, rules);
}

/** Rule `i` with its ports (from the text) set; undefined when the text holds something that is no port. */
export function setRulePorts(
  p: NetworkPolicySpec,
  dir: PolicyDirection,
  i: number,
  text: string,
): NetworkPolicySpec | undefined {
  const { ports, bad } = parsePorts(text);
  if (bad !== undefined) return undefined;
  const rules = rulesOf(p, dir).map((r, k) => {
    if (k !== i) return r;
    const { ports: _old, ...rest } = r;
    return ports ? { ...rest, ports } : rest;
  });
  return withRules(p, dir, rules);
}

/** The policy's pod selector as text (the same grammar as one peer: "db & app=web", "*"). */
export function selectorText(p: NetworkPolicySpec): string {
  return peerText({ podSelector: p.podSelector });
}

export function setSelector(p: NetworkPolicySpec, text: string): NetworkPolicySpec {
  const peer = parsePeers(text.replace(/,/g, '&'))?.[0];
  return { ...p, podSelector: peer?.podSelector ?? {} };
}

/** What the canvas shows: for each pod, the policies selecting it; and, of the selected pods' policies, the peer pods. */
export function policyMarks(lab: Lab, selected: readonly string[]): { on: Map<string, string[]>; peers: Set<string> } {
  const on = new Map<string, string[]>();
  const peers = new Set<string>();
  const chosen = new Set(selected);
  for (const p of lab.policies ?? []) {
    const pods = selectPods(lab, p.podSelector);
    for (const pod of pods) on.set(pod, [...(on.get(pod) ?? []), p.name]);
    if (!pods.some((pod) => chosen.has(pod))) continue;
    for (const rule of [...(p.ingress ?? []).map((r) => r.from), ...(p.egress ?? []).map((r) => r.to)])
      for (const peer of rule ?? [])
        if (peer.podSelector) for (const pod of selectPods(lab, peer.podSelector)) peers.add(pod);
  }
  for (const pod of chosen) peers.delete(pod);
  return { on, peers };
}
