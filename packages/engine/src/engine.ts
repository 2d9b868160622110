// The engine: lab sessions over the pure core (validate → compile → diff → plan) and the kernel
// driver (observe, execute). One lock per lab; a journal per lab; a failed apply converges the
// kernel back to what was observed before it started. It owns a lab's life: listeners learn of
// `removing` (awaited before namespaces go), `applied` and `destroyed` (lifecycle.ts), and one
// watch registry shares the namespace watcher among the engine and its users (watch-registry.ts).
// This file is the facade; each job lives in its own file: validation.ts, apply.ts (with
// converge-back.ts), destroy.ts, ownership.ts, journal-entries.ts, recovery.ts.
import { join } from 'node:path';
import type { KernelFeature, Lab } from '@patchbay/topology';
import { listNamespaces, loadOrDetectCapabilities, type SandboxLimits } from '@patchbay/kernel';
import { applyLab, type ApplyOptions, type ApplyResult } from './apply.js';
import { ObservationCache } from './cache.js';
import { LiveViewCache } from './live-view-cache.js';
import type { EngineContext } from './context.js';
import { destroyLab } from './destroy.js';
import { EngineError } from './errors.js';
import { Journal, type JournalEntry } from './journal.js';
import {
  LabLifecycle,
  stderrLog,
  type LabLifecycleEvent,
  type LifecycleListener,
  type LifecycleLog,
} from './lifecycle.js';
import { listLabs, recoverLabs, type LabSummary, type RecoveryReport } from './recovery.js';
import { labSandboxLimits } from './sandbox-groups.js';
import { resolveSettings, type EngineSettings } from './settings.js';
import { assertRunnable, assertValidLab, parseValidLab } from './validation.js';
import { WatchRegistry } from './watch-registry.js';

export interface EngineOptions extends Partial<EngineSettings> {
  /**
   * For long-lived processes (the server, benchmarks): the engine keeps what it read of each
   * namespace and reads a namespace again only after the kernel reported a change in it (one
   * helper process holds an rtnetlink socket per namespace). Call `close()` when done.
   */
  watch?: boolean;
  /** Where failing lifecycle listeners and watcher trouble are logged (default: stderr). */
  log?: LifecycleLog;
}

export class Engine implements EngineContext {
  readonly settings: EngineSettings;
  readonly journal: Journal;
  /** The lab lifecycle events; `on` adds a listener. */
  readonly lifecycle: LabLifecycle;
  /** The namespace watcher, shared: subscribe here rather than starting another. */
  readonly watches: WatchRegistry;
  readonly cache: ObservationCache;
  /** The live views' reads (labState), kept until the kernel reports a change (live-view-cache.ts). */
  readonly liveViews: LiveViewCache;
  private features?: Promise<Set<KernelFeature>>;

  constructor(opts: EngineOptions = {}) {
    const { watch, log = stderrLog, ...settings } = opts;
    this.settings = resolveSettings(settings);
    this.journal = new Journal(this.settings.dataDir, this.settings.prefix);
    this.lifecycle = new LabLifecycle(log);
    this.watches = new WatchRegistry({ labNamespaces: (lab) => this.labNamespaces(lab) }, log);
    this.cache = new ObservationCache(watch ? this.watches : undefined);
    this.liveViews = new LiveViewCache(watch ? this.watches : undefined);
  }

  /** Stops the namespace watcher, if any. */
  async close(): Promise<void> {
    await this.cache.close();
    await this.liveViews.close();
    await this.watches.close();
  }

  /** Listens to a lifecycle event (see LabLifecycle.on); returns the function that stops listening. */
  on<E extends LabLifecycleEvent>(event: E, listener: LifecycleListener<E>): () => void {
    return this.lifecycle.on(event, listener);
  }

  /** Where listener failures and watcher trouble are logged from now on. */
  setLog(log: LifecycleLog): void {
    this.lifecycle.setLog(log);
    this.watches.setLog(log);
  }

  get prefix(): string {
    return this.settings.prefix;
  }

  /** Namespace-name start shared by every namespace of lab `name` (the dot ends the lab name). */
  labNamespacePrefix(name: string): string {
    return `${this.prefix}${name}.`;
  }

  /**
   * The limits every student sandbox of lab `name` runs under: the lab's cgroup (shared by all its
   * shells) and the per-student values (settings.sandboxLimits). Pass them to the kernel's
   * sandboxArgv / spawnSandbox / spawnSandboxPty.
   */
  sandboxLimits(name: string): SandboxLimits {
    return labSandboxLimits(this.prefix, name, this.settings.sandboxLimits);
  }

  /** The lab's namespaces that exist now (those its journal records). */
  async labNamespaces(name: string): Promise<string[]> {
    const entry = await this.journal.read(name);
    if (!entry) return [];
    const present = new Set(await listNamespaces(this.labNamespacePrefix(name)));
    return entry.namespaces.filter((n) => present.has(n));
  }

  /** Kernel features, detected once per kernel release and cached under PATCHBAY_DATA. */
  kernelFeatures(): Promise<Set<KernelFeature>> {
    this.features ??= loadOrDetectCapabilities(this.prefix, join(this.settings.dataDir, 'capabilities.json')).then(
      (caps) =>
        new Set(
          Object.entries(caps.features)
            .filter(([, ok]) => ok)
            .map(([f]) => f as KernelFeature),
        ),
    );
    return this.features;
  }

  /** Parses and validates a lab file's text; throws `invalid` / `unsupported` with every problem. */
  async load(text: string): Promise<Lab> {
    return assertRunnable(parseValidLab(text, this.settings).lab, await this.kernelFeatures());
  }

  /** Validates a lab object; throws `invalid` / `unsupported` with every problem. */
  async validate(lab: Lab): Promise<Lab> {
    return assertRunnable(assertValidLab(lab, this.settings).lab, await this.kernelFeatures());
  }

  /** Makes the kernel match the lab (text or object; validated first). See apply.ts. */
  async apply(input: string | Lab, opts: ApplyOptions = {}): Promise<ApplyResult> {
    const t0 = performance.now();
    const { lab, warnings } =
      typeof input === 'string' ? parseValidLab(input, this.settings) : assertValidLab(input, this.settings);
    assertRunnable(lab, await this.kernelFeatures());
    return { ...(await applyLab(this, lab, opts, t0)), warnings };
  }

  /** Removes every kernel object of lab `name`. See destroy.ts. */
  destroy(name: string): Promise<{ removed: string[] }> {
    return destroyLab(this, name);
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

  /**
   * As `entry`, read-only (deep-frozen) and the same object for as long as the journal file is
   * unchanged: for what reads a lab many times a second (its state views, check runs), which would
   * otherwise read and parse the file each time.
   */
  async sharedEntry(name: string): Promise<JournalEntry> {
    const entry = await this.journal.readShared(name);
    if (!entry) throw new EngineError('not-found', `no lab named ${name}`);
    return entry;
  }
}
