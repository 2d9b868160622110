// Finding labs again: what `list` shows, and what a restart does with what it finds.
// Takes what it needs of the engine as an interface (RecoveryTarget), so that engine.ts imports
// this file and not the other way round.
import { listNamespaces, observeNamespaces, removeStaleScratchNamespaces } from '@patchbay/kernel';
import type { Lab } from '@patchbay/topology';
import { EngineError } from './errors.js';
import type { Journal } from './journal.js';
import { lockHeld, staleLock } from './lock.js';
import { isOurs, labOfNamespace } from './ownership.js';
import { removeStaleSandboxGroups } from './sandbox-groups.js';

/** What listing and recovering labs use of the engine. */
export interface RecoveryTarget {
  readonly prefix: string;
  readonly journal: Journal;
  apply(lab: Lab): Promise<unknown>;
  destroy(name: string): Promise<unknown>;
}

export type LabHealth = 'ok' | 'degraded' | 'applying' | 'failed' | 'orphaned';

export interface LabSummary {
  name: string;
  nodes: number;
  namespaces: number;
  health: LabHealth;
  revision: number;
  updatedAt?: string;
  /** Why the health is not ok. */
  detail?: string;
}

export interface RecoveryReport {
  /** Applied labs found as they were: kept, untouched. */
  adopted: string[];
  /** Half-made labs and unjournaled namespaces of this prefix: removed. */
  cleaned: string[];
  /** Labs interrupted mid-change: converged back to their last applied revision. */
  restored: string[];
  /** Scratch namespaces (the capability probe's) left by a process that is gone: removed. */
  scratch: string[];
  /** Labs gone whose students' sandbox cgroup was still there: removed. */
  cgroups: string[];
}

export async function listLabs(engine: RecoveryTarget): Promise<LabSummary[]> {
  const entries = await engine.journal.list();
  const present = await listNamespaces(engine.prefix);
  const presentSet = new Set(present);
  const out: LabSummary[] = entries.map((e) => {
    const missing = e.namespaces.filter((n) => !presentSet.has(n));
    const lab = e.lab ?? e.pending;
    let health: LabHealth = 'ok';
    let detail: string | undefined;
    if (e.status === 'applying' || e.status === 'destroying')
      [health, detail] = ['applying', `interrupted while ${e.status}`];
    else if (e.status === 'applied' && staleLock(engine.journal.lockPathOf(e.name)))
      [health, detail] = ['applying', 'interrupted while applying']; // a change among its namespaces (apply.ts)
    else if (e.status === 'failed') [health, detail] = ['failed', e.error];
    else if (missing.length) [health, detail] = ['degraded', `missing namespaces: ${missing.join(', ')}`];
    return {
      name: e.name,
      nodes: Object.keys(lab?.nodes ?? {}).length,
      namespaces: e.namespaces.length - missing.length,
      health,
      revision: e.revision,
      updatedAt: e.updatedAt,
      detail,
    };
  });
  const claimed = new Set(entries.flatMap((e) => e.namespaces));
  // Unclaimed namespaces are read (rarely any) so that another prefix's labs — `pb-t-` + `x` looks
  // like `pb-` + `t-x` by name — are not listed as ours: their marker says whose they are.
  const unclaimed = present.filter((ns) => !claimed.has(ns) && labOfNamespace(engine.prefix, ns) !== undefined);
  const seen = unclaimed.length ? await observeNamespaces(unclaimed) : { namespaces: {} };
  const orphans = new Map<string, number>();
  for (const ns of unclaimed) {
    // Only what `destroy` can remove is listed: a lab's namespace has a dot after a valid lab name
    // (scratch namespaces and foreign names do not; recover removes stale scratch namespaces).
    const lab = labOfNamespace(engine.prefix, ns);
    if (lab === undefined || !seen.namespaces[ns] || !isOurs(seen, ns, engine.prefix, lab)) continue;
    orphans.set(lab, (orphans.get(lab) ?? 0) + 1);
  }
  for (const [name, count] of orphans) {
    if (entries.some((e) => e.name === name)) continue;
    out.push({
      name,
      nodes: 0,
      namespaces: count,
      health: 'orphaned',
      revision: 0,
      detail: 'namespaces with no journal (a crash?): `patchbay destroy` removes them',
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * After a crash or restart: labs whose journal says applied (and whose lock no dead process left)
 * are re-adopted as they are (nothing is torn down); a first apply that never finished is removed; an interrupted change of a lab that
 * had been applied before is converged back to that last applied revision; namespaces of this
 * prefix that no journal claims and whose marker says they are ours (or that carry no marker)
 * are removed, and so are scratch namespaces whose creator is gone and sandbox cgroups of this
 * prefix whose lab is gone. Labs whose lock is held by a live process are left alone.
 */
export async function recoverLabs(engine: RecoveryTarget): Promise<RecoveryReport> {
  const report: RecoveryReport = { adopted: [], cleaned: [], restored: [], scratch: [], cgroups: [] };
  // A crash during the capability probe leaves its scratch namespace: never a lab's, removed here.
  for (const r of await removeStaleScratchNamespaces(engine.prefix)) {
    if (!r.ok) throw new EngineError('apply-failed', `could not remove scratch namespace ${r.name}: ${r.error}`);
    report.scratch.push(r.name);
  }
  const entries = await engine.journal.list();
  for (const e of entries) {
    // An applied entry under a lock its process left: a change among the lab's own namespaces was
    // interrupted (such a change writes no `applying` entry: apply.ts). Converged back below.
    if (e.status === 'applied' && !staleLock(engine.journal.lockPathOf(e.name))) {
      report.adopted.push(e.name);
      continue;
    }
    if (await lockHeld(engine.journal.lockPathOf(e.name))) continue;
    if (e.lab && e.status !== 'destroying') {
      await engine.apply(e.lab);
      report.restored.push(e.name);
    } else {
      await engine.destroy(e.name).catch((err: unknown) => {
        if (!(err instanceof EngineError && err.code === 'not-found')) throw err;
      });
      report.cleaned.push(e.name);
    }
  }
  const claimed = new Set(entries.map((e) => e.name));
  const orphanLabs = new Set<string>();
  for (const ns of await listNamespaces(engine.prefix)) {
    const lab = labOfNamespace(engine.prefix, ns);
    if (lab !== undefined && !claimed.has(lab)) orphanLabs.add(lab);
  }
  for (const lab of orphanLabs) {
    if (await lockHeld(engine.journal.lockPathOf(lab))) continue;
    const r = await engine.destroy(lab).catch((err: unknown) => {
      if (err instanceof EngineError && err.code === 'not-found') return undefined; // foreign: not ours
      throw err;
    });
    if (r) report.cleaned.push(lab);
  }
  report.cgroups = await removeStaleSandboxGroups(engine);
  return report;
}
