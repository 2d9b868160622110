// Everything of one engine prefix, removed without its journal: what a test, a benchmark or a
// killed server process leaves when its labs were never destroyed. Each step is tried even when
// an earlier one failed, so one stuck namespace does not leave the resolver files and groups.
import {
  deleteNamespaces,
  listNamespaces,
  listSandboxGroups,
  removeNetnsEtcWithPrefix,
  removeSandboxGroups,
} from '@patchbay/kernel';
import { labSandboxGroup } from './sandbox-groups.js';

/** Deletes every namespace whose name starts with `prefix`, their resolver files (a lab's `dns:`
 *  under /etc/netns) and their sandbox cgroups (`patchbay shell`, `run:` lines); throws the first
 *  failure after trying all three. */
export async function removePrefixLeftovers(prefix: string): Promise<void> {
  const failures: unknown[] = [];
  const attempt = async (fn: () => unknown) => {
    try {
      await fn();
    } catch (e) {
      failures.push(e);
    }
  };
  await attempt(async () => deleteNamespaces(await listNamespaces(prefix)));
  await attempt(() => removeNetnsEtcWithPrefix(prefix));
  await attempt(() => removeSandboxGroups(listSandboxGroups(labSandboxGroup(prefix, ''))));
  if (failures.length) throw failures[0];
}
