// What an apply did, drawn on the canvas: each operation's subject (a node, or an interface in a
// node's namespace) mapped back to the lab's nodes and links; a failure marks its object with the
// kernel's message.
import { isBridge, type Lab } from '@patchbay/topology';
import { linkId, namespaceGroup } from './lab-edit';

export interface OpSubject {
  node: string;
  iface?: string;
}
export type Marks = Record<string, { state: 'changed' | 'failed'; why?: string }>;

/** The lab objects (node names, link ids) an operation on `subject` is about. */
export function objectsOf(lab: Lab, subject: OpSubject): string[] {
  if (!subject.iface) return Object.hasOwn(lab.nodes, subject.node) ? [subject.node] : [];
  const out: string[] = [];
  const bridge = lab.nodes[subject.iface];
  if (bridge && isBridge(bridge) && namespaceGroup(lab, subject.iface) === subject.node) out.push(subject.iface);
  for (const l of lab.links) {
    for (const e of [l.a, l.b])
      if (e.interface === subject.iface && namespaceGroup(lab, e.node) === subject.node) out.push(linkId(l));
  }
  for (const o of lab.overlays ?? []) {
    if (subject.iface.startsWith('vx'))
      for (const m of o.members)
        if ('bridge' in m && namespaceGroup(lab, m.bridge) === subject.node) out.push(m.bridge);
  }
  if (out.length === 0 && Object.hasOwn(lab.nodes, subject.node)) out.push(subject.node);
  return [...new Set(out)];
}

export function marksFor(
  lab: Lab,
  ops: { subject: OpSubject; reason: string }[],
  failure?: { subject: OpSubject; error: string; command: string },
): Marks {
  const marks: Marks = {};
  for (const op of ops) for (const id of objectsOf(lab, op.subject)) marks[id] ??= { state: 'changed', why: op.reason };
  if (failure)
    for (const id of objectsOf(lab, failure.subject))
      marks[id] = { state: 'failed', why: `${failure.error} (${failure.command})` };
  return marks;
}
