// A failed apply converges the kernel back to the state observed before it started (the undo is
// planned like any apply: diff of "as before" against "as now"), records the outcome in the
// journal, and throws ApplyError with the failed command. Namespaces the failed apply created are
// deleted the safe way (`removing`, reason "rollback").
import { type DesiredState, type KernelState, type Lab, type Op, diff, opCommand, plan } from '@patchbay/topology';
import { executePlan } from '@patchbay/kernel';
import { removingNamespaces, type EngineContext } from './context.js';
import { EngineError } from './errors.js';
import { failedEntry, restoredEntry } from './journal-entries.js';
import type { JournalEntry } from './journal.js';
import { observeLab } from './observe-lab.js';

export interface ApplyFailure {
  command: string;
  error: string;
  op: Op;
  rolledBack: boolean;
  rollbackErrors: string[];
}

export class ApplyError extends EngineError {
  constructor(
    message: string,
    readonly failure: ApplyFailure,
  ) {
    super(failure.rolledBack ? 'apply-failed' : 'rollback-failed', message);
  }
}

/** Converge back to `before` (observed before this apply), record the outcome, and throw. */
export async function convergeBack(
  ctx: EngineContext,
  lab: Lab,
  entry: JournalEntry | undefined,
  before: KernelState,
  desired: DesiredState,
  failed: { op: Op; error: string },
): Promise<never> {
  const back: DesiredState = { ...before, lab: lab.name, prefix: ctx.prefix, names: desired.names };
  const rollbackErrors: string[] = [];
  try {
    for (const n of new Set([...Object.keys(before.namespaces), ...Object.keys(desired.namespaces)]))
      ctx.cache.invalidate(n);
    const current = await observeLab(ctx, lab.name, back, Object.keys(desired.namespaces));
    const undo = plan(diff(back, current)).ops;
    const created = undo.filter((o) => o.phase === 'unnamespace').map((o) => o.args[2]!);
    const r = await removingNamespaces(ctx, lab.name, created, 'rollback', () =>
      executePlan(undo, { concurrency: ctx.settings.concurrency }),
    );
    if (!r.ok) rollbackErrors.push(`${opCommand(r.failed!.op)}: ${r.failed!.error}`);
  } catch (e) {
    rollbackErrors.push((e as Error).message);
  }
  const rolledBack = rollbackErrors.length === 0;
  if (rolledBack && !entry?.lab) await ctx.journal.remove(lab.name);
  else if (rolledBack) await ctx.journal.write(restoredEntry(entry!));
  else await ctx.journal.write(failedEntry(ctx.prefix, lab, entry, Object.keys(desired.namespaces), failed.error));
  await ctx.watches.refreshLab(lab.name);
  const command = opCommand(failed.op);
  const what = failed.op.subject.iface
    ? `${failed.op.subject.node}/${failed.op.subject.iface}`
    : failed.op.subject.node;
  throw new ApplyError(
    `${what}: \`${command}\` failed: ${failed.error}; ${rolledBack ? "this run's changes were undone" : `undoing failed too: ${rollbackErrors.join('; ')}`}`,
    { command, error: failed.error, op: failed.op, rolledBack, rollbackErrors },
  );
}
