// Apply: lock → observe → diff → plan → (onPlan) → journal (when it must be told first:
// needsApplyingEntry) → execute → verify ∥ journal, and the lifecycle events around it: `removing`
// (awaited) before the plan deletes a node's namespace, `applied` once the journal records the new
// revision. A failed execution converges the kernel back to what was observed before it started
// (converge-back.ts).
import {
  type Change,
  type DesiredState,
  type KernelState,
  type Lab,
  type NamespaceState,
  type Op,
  compile,
  defaultIptablesState,
  diff,
  defaultEbtablesState,
  kindChangedNamespaces,
  plan,
  resolveVethPeers,
  withCniOps,
  withProcessOps,
  withoutCniObjects,
  type Problem,
} from '@patchbay/topology';
import { listNamespaces, type ProgressEvent } from '@patchbay/kernel';
import { checkCniAttachments, cniRecords, planLabCni, runCniOps } from './cni-attachments.js';
import { removingNamespaces, type EngineContext } from './context.js';
import { convergeBack } from './converge-back.js';
import { observeLab } from './observe-lab.js';
import { EngineError } from './errors.js';
import { appliedEntry, applyingEntry } from './journal-entries.js';
import type { JournalEntry, ManagedTables } from './journal.js';
import { withLabLock } from './lock.js';
import { executeKernelOps } from './neighbour-flushes.js';
import { planLabProcesses, runProcessOps } from './run-processes.js';

export interface ApplyOptions {
  /** Stop after planning: nothing is changed. */
  dryRun?: boolean;
  /**
   * Called with the plan (maybe empty) before anything runs. Apply waits for it (not timed):
   * a caller may show the plan and ask for confirmation; throwing cancels with nothing changed.
   */
  onPlan?: (ops: readonly Op[]) => void | Promise<void>;
  onProgress?: (e: ProgressEvent) => void;
}

export interface ApplyResult {
  lab: string;
  revision: number;
  dryRun: boolean;
  /** The operations planned (and, unless dry run, executed). Empty: the kernel already matched. */
  ops: Op[];
  /** What still differs after applying (should be empty; reported, never hidden). */
  drift: Change[];
  /** What in the lab applies but is probably not meant (validation's `severity: 'warning'` problems). */
  warnings: Problem[];
  timings: { observeMs: number; planMs: number; executeMs: number; verifyMs: number; totalMs: number };
}

const now = () => performance.now();

/** The namespaces an op deletes (`netns del NAME`). */
export const deletedNamespaces = (ops: readonly Op[]): string[] =>
  ops.filter((o) => o.phase === 'unnamespace').map((o) => o.args[2]!);
/** The namespaces an op creates. */
const createdNamespaces = (ops: readonly Op[]): string[] =>
  ops.filter((o) => o.phase === 'namespace').map((o) => o.args[2]!);

/** What `desired` (as compiled, before desiredFor adds default tables) manages. */
function managedTablesOf(desired: DesiredState): ManagedTables {
  const namespaces = Object.values(desired.namespaces);
  return {
    iptables: namespaces.filter((n) => n.iptables).map((n) => n.name),
    ip6tables: namespaces.filter((n) => n.ip6tables).map((n) => n.name),
    // compile gives exactly the namespaces of topology's ebtablesNamespaces their filter table
    ebtables: namespaces
      .filter((n) => n.ebtables)
      .map((n) => n.name)
      .sort(),
  };
}

/**
 * The desired state of `lab`, plus default tables where the previous revision managed iptables or
 * ebtables, and what this one manages (for the journal: the next apply reads it there, where it
 * used to compile the whole previous lab again, a third of planning an incremental change at N=200).
 */
export function desiredFor(
  prefix: string,
  lab: Lab,
  previous?: { lab?: Lab; managed?: ManagedTables },
): { desired: DesiredState; managed: ManagedTables } {
  const desired = compile(lab, prefix);
  const managed = managedTablesOf(desired);
  if (!previous?.lab) return { desired, managed };
  // an entry written before the journal kept it: compiled again, once
  const before = previous.managed ?? managedTablesOf(compile(previous.lab, prefix));
  // A namespace whose tables the previous revision managed (NAT, firewall, NetworkPolicy chains)
  // and this one does not gets default tables back.
  for (const ns of before.iptables) {
    const state = desired.namespaces[ns];
    if (state && !state.iptables) state.iptables = defaultIptablesState();
  }
  for (const ns of before.ip6tables) {
    const state = desired.namespaces[ns];
    if (state && !state.ip6tables) state.ip6tables = defaultIptablesState();
  }
  // Likewise ebtables: a bridge host that had anti-spoofing ports gets an empty filter table back.
  for (const ns of before.ebtables) {
    const state = desired.namespaces[ns];
    if (state && !state.ebtables) state.ebtables = defaultEbtablesState();
  }
  return { desired, managed };
}

/**
 * Whether an apply of `desired` over `entry` must write an `applying` entry before the kernel is
 * touched: unless the entry is applied and already lists every namespace the lab will have (the
 * change makes none: the entry accounts for everything a crash could leave). That write was a
 * sixth of an incremental change at N=200 (the whole lab serialized and a file renamed over).
 */
export function needsApplyingEntry(entry: JournalEntry | undefined, desired: DesiredState): boolean {
  if (entry?.status !== 'applied') return true;
  const listed = new Set(entry.namespaces);
  return Object.keys(desired.namespaces).some((ns) => !listed.has(ns));
}

/** Applies a validated lab (Engine.apply validates first). */
export async function applyLab(
  ctx: EngineContext,
  lab: Lab,
  opts: ApplyOptions = {},
  t0 = now(),
): Promise<Omit<ApplyResult, 'warnings'>> {
  return withLabLock(ctx.journal.lockPathOf(lab.name), async () => {
    const entry = await ctx.journal.readShared(lab.name); // read-only
    const { desired, managed } = desiredFor(ctx.prefix, lab, entry);
    const observed = await observeLab(ctx, lab.name, desired);
    const t1 = now();
    // A node whose kind changed gets a new namespace (ended, deleted, made again: kind-change.ts).
    const d = diff(desired, observed, { replace: kindChangedNamespaces(entry?.lab, lab, ctx.prefix) });
    if (d.conflicts.length) {
      throw new EngineError('conflict', d.conflicts.map((c) => c.message).join('; '));
    }
    const kernelOps = plan(d).ops;
    // `run:` processes: stops before the kernel's plan, starts after it (run-processes.ts)
    const processOps = planLabProcesses(ctx, lab, deletedNamespaces(kernelOps));
    // CNI attachments: DELs before the kernel's plan, ADDs after it (cni-attachments.ts)
    const cniOps = planLabCni(ctx, lab, deletedNamespaces(kernelOps));
    const ops = withCniOps(withProcessOps(kernelOps, processOps), cniOps);
    const planned = now();
    await opts.onPlan?.(ops);
    const t2 = now();
    const callerMs = t2 - planned; // the caller's time (onPlan) is not the engine's

    const revision = entry?.revision ?? 0;
    const timings = { observeMs: t1 - t0, planMs: planned - t1, executeMs: 0, verifyMs: 0, totalMs: 0 };
    if (opts.dryRun || ops.length === 0) {
      // Nothing to do in the kernel; the journal still records a new document (a description,
      // say) as a new revision, so that `export` prints what was applied.
      let current = revision;
      const sameDocument = entry?.status === 'applied' && JSON.stringify(entry.lab) === JSON.stringify(lab);
      if (!opts.dryRun && !sameDocument) {
        current = revision + 1;
        await ctx.journal.write(appliedEntry(ctx.prefix, lab, current, Object.keys(desired.namespaces), managed));
      }
      if (!opts.dryRun) await announceApplied(ctx, lab.name, current, ops, desired);
      // CHECK on verify: nothing changed, but the plugins still say whether their work is intact
      const checkFailures = opts.dryRun ? [] : await checkCniAttachments(ctx, lab.name);
      if (checkFailures.length > 0)
        throw new EngineError('apply-failed', `the lab is applied, but: ${checkFailures.join('; ')}`);
      timings.totalMs = now() - t0 - callerMs;
      return { lab: lab.name, revision: current, dryRun: !!opts.dryRun, ops, drift: [], timings };
    }

    // The journal is told first where the change may leave a namespace it does not list yet; a change
    // among the namespaces an applied entry already lists is recorded by the lock file alone (a
    // crash leaves it, and recovery converges the lab back to that entry, as from `applying`).
    if (needsApplyingEntry(entry, desired)) {
      await ctx.journal.write(applyingEntry(ctx.prefix, lab, entry, Object.keys(desired.namespaces)));
    }
    const processFailures = await runProcessOps(
      ctx,
      lab.name,
      processOps.filter((o) => o.phase === 'unprocess'),
    );
    processFailures.push(
      ...(await runCniOps(
        ctx,
        lab,
        cniOps.filter((o) => o.phase === 'uncni'),
      )),
    );
    const execute = () =>
      executeKernelOps(ctx, kernelOps, {
        concurrency: ctx.settings.concurrency,
        onProgress: opts.onProgress,
        readBack: true,
      });
    const result = await removingNamespaces(ctx, lab.name, deletedNamespaces(kernelOps), 'apply', execute);
    const t3 = now();
    timings.executeMs = t3 - t2;
    if (!result.ok) await convergeBack(ctx, lab, entry, observed, desired, result.failed!);
    // attached and started once every node is wired (a failed apply has thrown above: the next apply does it)
    processFailures.push(
      ...(await runCniOps(
        ctx,
        lab,
        cniOps.filter((o) => o.phase === 'cni'),
      )),
    );
    processFailures.push(
      ...(await runProcessOps(
        ctx,
        lab.name,
        processOps.filter((o) => o.phase === 'process'),
      )),
    );

    // The kernel holds the new revision now: the journal records it while verify reads what still
    // differs (drift is reported, not undone), the file write overlapping the watcher's round trip.
    const [verified, recorded] = await Promise.allSettled([
      verify(ctx, lab.name, kernelOps, desired, observed, result.readBack, result.readBackWhole),
      ctx.journal.write(appliedEntry(ctx.prefix, lab, revision + 1, Object.keys(desired.namespaces), managed)),
    ]);
    if (recorded.status === 'rejected') throw recorded.reason;
    if (verified.status === 'rejected') throw verified.reason;
    const drift = verified.value;
    processFailures.push(...(await checkCniAttachments(ctx, lab.name))); // CHECK on verify
    timings.verifyMs = now() - t3;
    await announceApplied(ctx, lab.name, revision + 1, ops, desired);
    if (processFailures.length > 0)
      throw new EngineError('apply-failed', `the lab is applied, but: ${processFailures.join('; ')}`);
    timings.totalMs = now() - t0 - callerMs;
    return { lab: lab.name, revision: revision + 1, dryRun: false, ops, drift, timings };
  });
}

/** The lab's watchers follow its new namespaces, then `applied` listeners run (awaited). */
async function announceApplied(
  ctx: EngineContext,
  lab: string,
  revision: number,
  ops: readonly Op[],
  desired: DesiredState,
): Promise<void> {
  await ctx.watches.refreshLab(lab);
  await ctx.lifecycle.emit('applied', {
    lab,
    revision,
    ops,
    namespaces: Object.keys(desired.namespaces).sort(),
    added: createdNamespaces(ops).sort(),
    removed: deletedNamespaces(ops).sort(),
  });
}

/**
 * What still differs after executing `ops`, in the namespaces they touched: for most, the state
 * their own last batch read back; a fresh read where that is not the whole story (sysctl,
 * iptables and fdb run in other processes; VXLAN floods and iptables are not in the read-back).
 */
async function verify(
  ctx: EngineContext,
  name: string,
  ops: readonly Op[],
  desired: DesiredState,
  before: KernelState,
  readBack: ReadonlyMap<string, NamespaceState>,
  readBackWhole: ReadonlySet<string> = new Set(),
): Promise<Change[]> {
  // A neighbour flush changes no desired state: the namespaces it alone touched have nothing to verify.
  const scope = touchedNamespaces(ops.filter((o) => o.phase !== 'neigh'));
  // Whether a deleted namespace is really gone (a readdir of /run/netns: skipped when none was deleted)
  const deleted = deletedNamespaces(ops);
  const stillThere = new Set(deleted.length ? await listNamespaces(ctx.labNamespacePrefix(name)) : []);
  const touched = scope.filter((n) => desired.namespaces[n]);
  // Changed by another process than the read-back's, unless the executor ran them in its batch.
  const otherTools = new Set(
    ops
      .filter((o) => o.tool !== 'ip' && o.tool !== 'netns' && !(o.tool === 'netlink' && readBackWhole.has(o.ns)))
      .map((o) => o.ns),
  );
  const fullRead = touched.filter((n) => {
    const d = desired.namespaces[n]!;
    return (
      !readBack.has(n) ||
      otherTools.has(n) ||
      d.iptables ||
      d.ip6tables ||
      d.ebtables ||
      Object.values(d.links).some((l) => l.kind === 'vxlan')
    );
  });
  for (const n of touched) ctx.cache.invalidate(n);
  const after = await ctx.cache.observe(fullRead, {
    iptables: new Set(fullRead.filter((n) => desired.namespaces[n]?.iptables)),
    ip6tables: new Set(fullRead.filter((n) => desired.namespaces[n]?.ip6tables)),
    ebtables: new Set(fullRead.filter((n) => desired.namespaces[n]?.ebtables)),
    concurrency: ctx.settings.concurrency,
  });
  const current: KernelState = { namespaces: { ...before.namespaces } };
  const readBackKept: NamespaceState[] = [];
  for (const n of scope) {
    const read = after.namespaces[n] ?? readBack.get(n);
    if (read) current.namespaces[n] = read;
    else if (!desired.namespaces[n] && stillThere.has(n))
      continue; // a deletion that did not happen: drift
    else delete current.namespaces[n];
    if (read && read === readBack.get(n)) readBackKept.push(read);
  }
  // The batches' read-backs serve the next apply once the watcher has reported this one's own
  // changes (they would throw the states out): a round trip to the watcher, waited for by the
  // next read of the cache rather than by this apply.
  // Namespaces this apply made are watched and read in the background too when they are a few
  // nodes added to a lab that was there, not a new lab (a class's 40 joins at once would read theirs
  // while the others are still being made; 1,000 take a second): its first change reads those.
  const made = createdNamespaces(ops).filter((n) => desired.namespaces[n]);
  const grown = made.length <= WARM_NEW_NAMESPACES && Object.keys(before.namespaces).length > 0;
  ctx.cache.rememberWhenSettled(readBackKept, grown ? made : []);
  // Only what this apply touched can have drifted from the plan: diff just those namespaces (their
  // veths' peers looked up among all, as observe did for the rest).
  const inScope = new Set(scope);
  resolveVethPeers(current, { complete: true, only: inScope });
  const settled = withoutCniObjects(current, cniRecords(ctx, name)); // the plugins' objects are not drift
  const pick = <T>(m: Record<string, T>) => Object.fromEntries(Object.entries(m).filter(([n]) => inScope.has(n)));
  return diff({ ...desired, namespaces: pick(desired.namespaces) }, { namespaces: pick(settled.namespaces) }).changes;
}

/** At most this many namespaces an apply made are watched and read right after it (verify). */
const WARM_NEW_NAMESPACES = 8;

/** Namespaces an apply changed, including the far ends of veths it created or deleted. */
export function touchedNamespaces(ops: readonly Op[]): string[] {
  const out = new Set<string>();
  for (const o of ops) {
    out.add(o.tool === 'netns' ? o.args[2]! : o.ns);
    for (const other of o.alsoTouches ?? []) out.add(other);
  }
  return [...out].sort();
}
