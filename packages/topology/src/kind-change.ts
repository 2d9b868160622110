// Nodes whose kind changed between two revisions of a lab. Their namespace is replaced rather than
// reconfigured (diff's `replace`): a node of another kind is another machine, whatever ran in it
// (a student's shell, a capture) belongs to the old one, and the ownership differs (netns and
// router namespaces are owned by their own user namespace, a host's is not).
import { isBridge, type Lab } from './model.js';
import { namespaceName } from './naming.js';

/** Namespaces of nodes that are a netns, router or host in both labs, of a different kind in each. */
export function kindChangedNamespaces(previous: Lab | undefined, lab: Lab, prefix: string): Set<string> {
  const out = new Set<string>();
  if (!previous || previous.name !== lab.name) return out;
  for (const [node, spec] of Object.entries(lab.nodes)) {
    const before = previous.nodes[node];
    if (!before || isBridge(before) || isBridge(spec)) continue; // a bridge has no namespace of its own
    if (before.kind !== spec.kind) out.add(namespaceName(prefix, lab.name, node));
  }
  return out;
}
