// Where a live stream runs: the namespace of a lab's node (a bridge runs in its host's namespace).
import { compile } from '@patchbay/topology';
import type { FastifyInstance } from 'fastify';

export interface NodePlace {
  ns: string;
  /** The node's kind in the lab document. */
  kind: 'host' | 'netns' | 'router' | 'bridge';
  /** For a bridge: its device in the host's namespace. */
  bridgeDevice?: string;
}

/** The node's namespace, or an error message for the ack. */
export async function placeOf(app: FastifyInstance, lab: string, node: string): Promise<NodePlace | { error: string }> {
  const entry = await app.engine.entry(lab).catch(() => undefined);
  if (!entry?.lab) return { error: `no lab named ${lab}` };
  if (!Object.hasOwn(entry.lab.nodes, node)) return { error: `lab ${lab} has no node named ${node}` };
  const names = compile(entry.lab, entry.prefix).names;
  const ns = names.nodeNamespace[node];
  if (!ns) return { error: `node ${node} of lab ${lab} has no namespace` };
  const kind = entry.lab.nodes[node]!.kind;
  const bridgeDevice = kind === 'bridge' ? names.bridgeDevice[node] : undefined;
  return bridgeDevice ? { ns, kind, bridgeDevice } : { ns, kind };
}
