// Reading a lab's namespaces as they are, for apply and for converging back: every namespace of
// the lab's name that exists (plus any the caller names), through the observation cache, each
// with whether it is owned by its own user namespace (diff replaces one owned otherwise than wanted).
import { type DesiredState, type KernelState, resolveMacvlanParents, resolveVethPeers } from '@patchbay/topology';
import { isOwnedNamespace, listNamespaces } from '@patchbay/kernel';
import type { EngineContext } from './context.js';

export async function observeLab(
  ctx: EngineContext,
  name: string,
  desired: DesiredState,
  extra: string[] = [],
): Promise<KernelState> {
  const present = await listNamespaces(ctx.labNamespacePrefix(name));
  const names = [...new Set([...present, ...extra])];
  const iptables = new Set(
    Object.values(desired.namespaces)
      .filter((n) => n.iptables)
      .map((n) => n.name),
  );
  const ebtables = new Set(
    Object.values(desired.namespaces)
      .filter((n) => n.ebtables)
      .map((n) => n.name),
  );
  const state = await ctx.cache.observe(names, { iptables, ebtables, concurrency: ctx.settings.concurrency });
  resolveVethPeers(state, { complete: true }); // every namespace of the lab is in `state`
  resolveMacvlanParents(state);
  for (const ns of Object.values(state.namespaces)) ns.owned = isOwnedNamespace(ns.name);
  return state;
}
