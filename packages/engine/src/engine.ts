// The engine: lab sessions over the pure core (validate → compile → diff → plan) and the kernel
// driver (observe, execute). One lock per lab; a journal per lab; a failed apply converges the
// kernel back to what was observed before it started.
import { join } from 'node:path';
import {
  type Change,
  type DesiredState,
  type KernelFeature,
  type KernelState,
  type Lab,
  type NamespaceState,
  type Op,
  type Problem,
  checkFeatures,
  compile,
  iptablesForNode,
  isBridge,
  namespaceName,
  defaultIptablesState,
  diff,
  opCommand,
  parseLabText,
  plan,
  resolveVethPeers,
  validateLab,
} from '@patchbay/topology';
import {
  deleteNamespaces,
  executePlan,
  killProcessesIn,
  listNamespaces,
  loadOrDetectCapabilities,
  NamespaceWatcher,
  observeNamespaces,
  type ProgressEvent,
} from '@patchbay/kernel';
import { ObservationCache } from './cache.js';
import { EngineError } from './errors.js';
import { Journal, type JournalEntry } from './journal.js';
import { withLabLock } from './lock.js';
import { isOurs } from './ownership.js';
import { listLabs, recoverLabs, type LabSummary, type RecoveryReport } from './recovery.js';
import { resolveSettings, type EngineSettings } from './settings.js';

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
  timings: { observeMs: number; planMs: number; executeMs: number; verifyMs: number; totalMs: number };
}

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

const now = () => performance.now();

export class Engine {
  readonly settings: EngineSettings;
  readonly journal: Journal;
  private features?: Promise<Set<KernelFeature>>;
  private readonly cache: ObservationCache;

  /**
   * `watch`: for long-lived processes (the server, benchmarks). The engine then keeps what it read
   * of each namespace and reads a namespace again only after the kernel reported a change in it
   * (one helper process holds an rtnetlink socket per namespace). Call `close()` when done.
   */
  constructor(opts: Partial<EngineSettings> & { watch?: boolean } = {}) {
    this.settings = resolveSettings(opts);
    this.journal = new Journal(this.settings.dataDir, this.settings.prefix);
    this.cache = new ObservationCache(opts.watch ? new NamespaceWatcher() : undefined);
  }

  /** Stops the namespace watcher, if any. */
  async close(): Promise<void> {
    await this.cache.close();
  }

  /** Deletes namespaces' helpers' hold on them: the watcher's sockets, then any process inside. */
  private async releaseNamespaces(names: string[]): Promise<void> {
    await this.cache.forget(names);
    await killProcessesIn(names);
  }

  get prefix(): string {
    return this.settings.prefix;
  }

  /** Namespace-name start shared by every namespace of lab `name` (the dot ends the lab name). */
  labNamespacePrefix(name: string): string {
    return `${this.prefix}${name}.`;
  }

  /** Kernel features, detected once per kernel release and cached under PATCHBAY_DATA. */
  kernelFeatures(): Promise<Set<KernelFeature>> {
    this.features ??= loadOrDetectCapabilities(this.prefix, join(this.settings.dataDir, 'capabilities.json')).then(
      (caps) => new Set(Object.entries(caps.features).filter(([, ok]) => ok).map(([f]) => f as KernelFeature)),
    );
    return this.features;
  }

  /** Parse and validate a lab file's text; throws `invalid` / `unsupported` with every problem. */
  async load(text: string): Promise<Lab> {
    // parseLabText validates too, so only the kernel checks remain.
    const { lab, problems } = parseLabText(text, { maxBytes: this.settings.maxLabBytes, maxNodes: this.settings.maxNodes });
    if (!lab || problems.length) throw new EngineError('invalid', 'the lab file has problems; nothing was changed', problems);
    return this.checkRunnable(lab);
  }

  async check(lab: Lab): Promise<Lab> {
    const problems = validateLab(lab, { maxNodes: this.settings.maxNodes });
    if (problems.length) throw new EngineError('invalid', 'the lab has problems; nothing was changed', problems);
    return this.checkRunnable(lab);
  }

  /** Refuses, up front, a valid lab this kernel (or this engine) cannot realize. */
  private async checkRunnable(lab: Lab): Promise<Lab> {
    const unsupported = [...checkFeatures(lab, await this.kernelFeatures()), ...notYetImplemented(lab)];
    if (unsupported.length) throw new EngineError('unsupported', 'this kernel cannot run the lab; nothing was changed', unsupported);
    return lab;
  }

  /** The desired state of `lab`, plus default tables where a previous revision managed iptables. */
  private desiredFor(lab: Lab, previous?: Lab): DesiredState {
    const desired = compile(lab, this.prefix);
    for (const [node, spec] of Object.entries(previous?.nodes ?? {})) {
      if (isBridge(spec) || !iptablesForNode(spec)) continue;
      const state = desired.namespaces[namespaceName(this.prefix, lab.name, node)];
      if (state && !state.iptables) state.iptables = defaultIptablesState();
    }
    return desired;
  }

  private async observeLab(name: string, desired: DesiredState, extra: string[] = []): Promise<KernelState> {
    const present = await listNamespaces(this.labNamespacePrefix(name));
    const names = [...new Set([...present, ...extra])];
    const iptables = new Set(Object.values(desired.namespaces).filter((n) => n.iptables).map((n) => n.name));
    const state = await this.cache.observe(names, { iptables, concurrency: this.settings.concurrency });
    resolveVethPeers(state, { complete: true }); // every namespace of the lab is in `state`
    return state;
  }

  async apply(input: string | Lab, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const t0 = now();
    const lab = typeof input === 'string' ? await this.load(input) : await this.check(input);
    return withLabLock(this.journal.lockPathOf(lab.name), async () => {
      const entry = await this.journal.read(lab.name);
      const desired = this.desiredFor(lab, entry?.lab);
      const observed = await this.observeLab(lab.name, desired);
      const t1 = now();
      const d = diff(desired, observed);
      if (d.conflicts.length) {
        throw new EngineError('conflict', d.conflicts.map((c) => c.message).join('; '));
      }
      const { ops } = plan(d);
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
          await this.writeApplied(lab, desired, current, entry);
        }
        timings.totalMs = now() - t0 - callerMs;
        return { lab: lab.name, revision: current, dryRun: !!opts.dryRun, ops, drift: [], timings };
      }

      await this.journal.write({
        version: 1,
        prefix: this.prefix,
        name: lab.name,
        status: 'applying',
        revision,
        lab: entry?.lab,
        pending: lab,
        namespaces: [...new Set([...(entry?.namespaces ?? []), ...Object.keys(desired.namespaces)])].sort(),
        updatedAt: '',
      });
      await this.releaseNamespaces(ops.filter((o) => o.phase === 'unnamespace').map((o) => o.args[2]!));
      const result = await executePlan(ops, { concurrency: this.settings.concurrency, onProgress: opts.onProgress, readBack: true });
      const t3 = now();
      timings.executeMs = t3 - t2;
      if (!result.ok) await this.failApply(lab, entry, observed, desired, result.failed!);

      const drift = await this.verify(lab.name, ops, desired, observed, result.readBack);
      timings.verifyMs = now() - t3;
      await this.writeApplied(lab, desired, revision + 1, entry);
      timings.totalMs = now() - t0 - callerMs;
      return { lab: lab.name, revision: revision + 1, dryRun: false, ops, drift, timings };
    });
  }

  /**
   * What still differs after executing `ops`, in the namespaces they touched: for most, the state
   * their own last batch read back; a fresh read where that is not the whole story (sysctl,
   * iptables and fdb run in other processes; VXLAN floods and iptables are not in the read-back).
   */
  private async verify(
    name: string,
    ops: readonly Op[],
    desired: DesiredState,
    before: KernelState,
    readBack: ReadonlyMap<string, NamespaceState>,
  ): Promise<Change[]> {
    const scope = touchedNamespaces(ops);
    const stillThere = new Set(await listNamespaces(this.labNamespacePrefix(name)));
    const touched = scope.filter((n) => desired.namespaces[n]);
    const otherTools = new Set(ops.filter((o) => o.tool !== 'ip' && o.tool !== 'netns').map((o) => o.ns));
    const fullRead = touched.filter((n) => {
      const d = desired.namespaces[n]!;
      return !readBack.has(n) || otherTools.has(n) || d.iptables || Object.values(d.links).some((l) => l.kind === 'vxlan');
    });
    for (const n of touched) this.cache.invalidate(n);
    const mark = await this.cache.settle(); // the watcher has seen our own changes by now
    const after = await this.cache.observe(fullRead, {
      iptables: new Set(fullRead.filter((n) => desired.namespaces[n]?.iptables)),
      concurrency: this.settings.concurrency,
    });
    const current: KernelState = { namespaces: { ...before.namespaces } };
    for (const n of scope) {
      const read = after.namespaces[n] ?? readBack.get(n);
      if (read) current.namespaces[n] = read;
      else if (!desired.namespaces[n] && stillThere.has(n)) continue; // a deletion that did not happen: drift
      else delete current.namespaces[n];
      if (read && read === readBack.get(n)) this.cache.remember(read, mark);
    }
    resolveVethPeers(current, { complete: true });
    // Only what this apply touched can have drifted from the plan: diff just those namespaces.
    const inScope = new Set(scope);
    const pick = <T,>(m: Record<string, T>) => Object.fromEntries(Object.entries(m).filter(([n]) => inScope.has(n)));
    return diff({ ...desired, namespaces: pick(desired.namespaces) }, { namespaces: pick(current.namespaces) }).changes;
  }

  private async writeApplied(lab: Lab, desired: DesiredState, revision: number, _entry?: JournalEntry): Promise<void> {
    await this.journal.write({
      version: 1,
      prefix: this.prefix,
      name: lab.name,
      status: 'applied',
      revision,
      lab,
      namespaces: Object.keys(desired.namespaces).sort(),
      updatedAt: '',
    });
  }

  /** Converge back to the state observed before this apply, record the outcome, and throw. */
  private async failApply(
    lab: Lab,
    entry: JournalEntry | undefined,
    before: KernelState,
    desired: DesiredState,
    failed: { op: Op; error: string },
  ): Promise<never> {
    const back: DesiredState = { ...before, lab: lab.name, prefix: this.prefix, names: desired.names };
    const rollbackErrors: string[] = [];
    try {
      for (const n of new Set([...Object.keys(before.namespaces), ...Object.keys(desired.namespaces)])) this.cache.invalidate(n);
      const current = await this.observeLab(lab.name, back, Object.keys(desired.namespaces));
      const undo = plan(diff(back, current)).ops;
      await this.releaseNamespaces(undo.filter((o) => o.phase === 'unnamespace').map((o) => o.args[2]!));
      const r = await executePlan(undo, { concurrency: this.settings.concurrency });
      if (!r.ok) rollbackErrors.push(`${opCommand(r.failed!.op)}: ${r.failed!.error}`);
    } catch (e) {
      rollbackErrors.push((e as Error).message);
    }
    const rolledBack = rollbackErrors.length === 0;
    if (rolledBack && !entry?.lab) await this.journal.remove(lab.name);
    else if (rolledBack) await this.journal.write({ ...entry!, status: 'applied', pending: undefined, updatedAt: '' });
    else {
      await this.journal.write({
        version: 1, prefix: this.prefix, name: lab.name, status: 'failed', revision: entry?.revision ?? 0, lab: entry?.lab,
        pending: lab, namespaces: [...new Set([...(entry?.namespaces ?? []), ...Object.keys(desired.namespaces)])].sort(),
        updatedAt: '', error: failed.error,
      });
    }
    const command = opCommand(failed.op);
    const what = failed.op.subject.iface ? `${failed.op.subject.node}/${failed.op.subject.iface}` : failed.op.subject.node;
    throw new ApplyError(
      `${what}: \`${command}\` failed: ${failed.error}; ${rolledBack ? 'this run\'s changes were undone' : `undoing failed too: ${rollbackErrors.join('; ')}`}`,
      { command, error: failed.error, op: failed.op, rolledBack, rollbackErrors },
    );
  }

  /** Removes every kernel object of lab `name`. Namespaces not recorded in its journal are removed only if their marker says they are this lab's. */
  async destroy(name: string): Promise<{ removed: string[] }> {
    return withLabLock(this.journal.lockPathOf(name), async () => {
      const entry = await this.journal.read(name);
      const present = await listNamespaces(this.labNamespacePrefix(name));
      const known = new Set(entry?.namespaces ?? []);
      const unknown = present.filter((n) => !known.has(n));
      const ours = new Set(present.filter((n) => known.has(n)));
      if (unknown.length) {
        const seen = await observeNamespaces(unknown, { concurrency: this.settings.concurrency });
        for (const n of unknown) if (isOurs(seen, n, this.prefix, name)) ours.add(n);
      }
      if (!entry && ours.size === 0) throw new EngineError('not-found', `no lab named ${name}`);
      if (entry) await this.journal.write({ ...entry, status: 'destroying', updatedAt: '' });
      await this.cache.forget([...ours]);
      const results = await deleteNamespaces([...ours].sort());
      const failures = results.filter((r) => !r.ok);
      if (failures.length) {
        throw new EngineError('apply-failed', `could not remove ${failures.map((f) => `${f.name}: ${f.error}`).join('; ')}`);
      }
      await this.journal.remove(name);
      return { removed: [...ours].sort() };
    });
  }

  /** Labs known to the journal, plus namespaces of this prefix that no journal claims. */
  list(): Promise<LabSummary[]> {
    return listLabs(this);
  }

  /** After a crash or restart: see `recoverLabs`. */
  recover(): Promise<RecoveryReport> {
    return recoverLabs(this);
  }

  async entry(name: string): Promise<JournalEntry> {
    const entry = await this.journal.read(name);
    if (!entry) throw new EngineError('not-found', `no lab named ${name}`);
    return entry;
  }
}

/** Parts of the format the engine cannot realize yet: refused up front rather than ignored. */
function notYetImplemented(lab: Lab): Problem[] {
  const problems: Problem[] = [];
  lab.links.forEach((link, i) =>
    (['a', 'b'] as const).forEach((side) => {
      if (link[side].vlan) {
        problems.push({
          path: `links[${i}].${side}.vlan`, code: 'engine.unsupported',
          message: 'VLANs on bridge ports are not implemented yet (this needs bridge VLAN filtering, which Patchbay cannot apply yet); remove `vlan` to run this lab',
        });
      }
    }),
  );
  return problems;
}

/** Namespaces an apply changed, including the far ends of veths it created or deleted. */
function touchedNamespaces(ops: readonly Op[]): string[] {
  const out = new Set<string>();
  for (const o of ops) {
    out.add(o.tool === 'netns' ? o.args[2]! : o.ns);
    for (const other of o.alsoTouches ?? []) out.add(other);
  }
  return [...out].sort();
}
