// Destroy: every kernel object of a lab goes with its namespaces. Under the lab's lock: find the
// lab's namespaces (journaled, or marked as this lab's), journal `destroying`, emit `removing`
// (awaited: processes in the namespaces end first), CNI DEL of its attachments, delete them, remove the lab's sandbox cgroup
// (sandbox-groups.ts), drop the journal, emit `destroyed`.
import { deleteNamespaces, removeNetnsEtcWithPrefix } from '@patchbay/kernel';
import { forgetLabCni } from './cni-attachments.js';
import { removingNamespaces, type EngineContext } from './context.js';
import { EngineError } from './errors.js';
import { destroyingEntry } from './journal-entries.js';
import { withLabLock } from './lock.js';
import { ownedNamespaces } from './ownership.js';
import { forgetLabProcesses } from './run-processes.js';
import { removeLabSandboxGroup } from './sandbox-groups.js';

/** Removes every kernel object of lab `name`. Namespaces not recorded in its journal are removed only if their marker says they are this lab's. */
export async function destroyLab(ctx: EngineContext, name: string): Promise<{ removed: string[] }> {
  return withLabLock(ctx.journal.lockPathOf(name), async () => {
    const entry = await ctx.journal.read(name);
    const ours = await ownedNamespaces(ctx.prefix, name, entry, { concurrency: ctx.settings.concurrency });
    if (!entry && ours.length === 0) throw new EngineError('not-found', `no lab named ${name}`);
    if (entry) await ctx.journal.write(destroyingEntry(entry));
    await forgetLabCni(ctx, name); // CNI DEL while the namespaces still exist; then its records and IPAM state
    const results = await removingNamespaces(ctx, name, ours, 'destroy', () => deleteNamespaces(ours));
    const failures = results.filter((r) => !r.ok);
    if (failures.length) {
      throw new EngineError(
        'apply-failed',
        `could not remove ${failures.map((f) => `${f.name}: ${f.error}`).join('; ')}`,
      );
    }
    await removeLabSandboxGroup(ctx.prefix, name); // after the namespaces: nothing can join it any more
    await forgetLabProcesses(ctx, name); // their records and logs
    removeNetnsEtcWithPrefix(ctx.labNamespacePrefix(name)); // resolver files a crash left behind
    await ctx.journal.remove(name);
    await ctx.watches.refreshLab(name);
    await ctx.lifecycle.emit('destroyed', { lab: name, removed: ours });
    return { removed: ours };
  });
}
