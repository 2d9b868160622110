// Reading a lab's namespaces as they are, for apply and for converging back: every namespace of
// the lab's name that exists (plus any the caller names), through the observation cache, each
// with whether it is owned by its own user namespace (diff replaces one owned otherwise than wanted).
// What CNI plugins made for the lab's recorded attachments is left out: it is the plugins' (only
// their DEL removes it), so the lab's diff must neither delete it nor call it drift (cni.ts).
import {
  type DesiredState,
  type KernelState,
  resolveMacvlanParents,
  resolveVethPeers,
  withoutCniObjects,
} from '@patchbay/topology';
import { isOwnedNamespace, listNamespaces } from '@patchbay/kernel';
import { cniRecords } from './cni-attachments.js';
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
  const ip6tables = new Set(
    Object.values(desired.namespaces)
      .filter((n) => n.ip6tables)
      .map((n) => n.name),
  );
  const state = await ctx.cache.observe(names, {
    iptables,
    ip6tables,
    ebtables,
    concurrency: ctx.settings.concurrency,
  });
  resolveVethPeers(state, { complete: true }); // every namespace of the lab is in `state`
  resolveMacvlanParents(state);
  // A namespace's owner is fixed at its creation: a state kept by the cache already knows it.
  for (const ns of Object.values(state.namespaces)) ns.owned ??= isOwnedNamespace(ns.name);
  return withoutCniObjects(state, cniRecords(ctx, name));
}
