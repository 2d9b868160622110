// Where a terminal's shell may run: the namespace of a lab's `netns` or `router` node, owned by its
// own user namespace. Hosts and bridges are never given to a shell: their namespaces hold the lab's
// bridges and tunnels (research: kernel-and-sandbox-facts §1.6).
import { existsSync } from 'node:fs';
import { userNamespacePath } from '@patchbay/kernel';
import { IMPLICIT_HOST } from '@patchbay/topology';
import type { FastifyInstance } from 'fastify';
import { placeOf } from './lab-node.js';

/** The node's namespace for a shell, or why it may have none (a message for the ack). */
export async function shellPlaceOf(
  app: FastifyInstance,
  lab: string,
  node: string,
): Promise<{ ns: string } | { error: string }> {
  if (node === IMPLICIT_HOST) {
    return {
      error: `${IMPLICIT_HOST} is the lab's implicit host: it holds the bridges and is never given to a shell (open a terminal in a netns or router node)`,
    };
  }
  const place = await placeOf(app, lab, node);
  if ('error' in place) return { error: place.error };
  if (place.kind !== 'netns' && place.kind !== 'router') {
    return {
      error: `${node} is a ${place.kind}: hosts and bridges hold the lab's bridges and tunnels and are never given to a shell (open a terminal in a netns or router node)`,
    };
  }
  if (!existsSync(userNamespacePath(place.ns)))
    return { error: "this node's namespace is not isolated; apply the lab again" };
  return { ns: place.ns };
}
