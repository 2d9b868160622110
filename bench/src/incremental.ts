// Incremental changes on a running lab, in the engine's two modes:
// - one-shot (as the CLI): every apply reads every namespace of the lab before planning;
// - long-lived (`watch: true`, as the server): one helper watches every lab namespace through
//   rtnetlink and the engine re-reads only namespaces reported changed (and those it touched).
// Each change is one `engine.apply` of the whole lab with one thing changed, alternating back and
// forth so every apply is a real change. Between applies the bench waits WAIT_MS so that the
// kernel's change events for the previous apply have reached the watcher.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Engine } from '@patchbay/engine';
import { namespacePath, observeNamespaces } from '@patchbay/kernel';
import type { Lab } from '@patchbay/topology';
import { timedApply, type ApplyRecord } from './engine-run.js';
import { engineNamespaces, leafIp, starLab } from './lab.js';
import { PREFIX, ROOT, now, sleep, stat, type Stat } from './util.js';

export const WAIT_MS = 50;

export type IncModeName = 'one-shot' | 'watch';

export interface IncResult {
  change: string;
  records: ApplyRecord[];
}

export interface IncMode {
  mode: IncModeName;
  /** The lab's creation (not in the table). */
  initialApplyMs: number;
  /** watch only: the first apply after creation (a no-op) starts watching and reads every namespace. */
  firstAfterCreate?: ApplyRecord;
  results: IncResult[];
  /** The first (untimed) round of each change, before V8 optimized the code: one record each. */
  cold: IncResult[];
  /** watch only: (b) and (b') without the engine, in the same run (raw-link.py), ms. */
  raw?: RawLink;
}

/** The same link set down and up again without the engine (ms per change): through a warm rtnetlink socket, and as one `ip` process each. */
export interface RawLink {
  netlink: { down: number[]; up: number[] };
  ip: { down: number[]; up: number[] };
}

/** Runs bench/helpers/raw-link.py in the namespace of the link the changes set down and up. */
async function rawLink(ns: string, dev: string, reps: number): Promise<RawLink> {
  const { stdout } = await promisify(execFile)(
    'nsenter',
    [
      `--net=${namespacePath(ns)}`,
      '--',
      'python3',
      join(ROOT, 'bench/helpers/raw-link.py'),
      dev,
      String(reps),
      String(WAIT_MS),
    ],
    { timeout: 120_000 },
  );
  return JSON.parse(stdout) as RawLink;
}

export interface IncReport {
  n: number;
  reps: number;
  /** Untimed rounds before the timed ones. */
  warmup: number;
  modes: IncMode[];
  /** observeNamespaces over all N+1 namespaces alone, ms (one per repetition, one-shot mode). */
  observeAllMs?: Stat;
}

/**
 * The change sequence: no-op, (a) address, (b) down/up, (c) add/remove a leaf; `warmup` untimed
 * rounds (the first of them returned as `cold`), then `reps` timed ones.
 */
async function changes(
  engine: Engine,
  base: Lab,
  reps: number,
  warmup: number,
  afterRep?: () => Promise<void>,
): Promise<{ results: IncResult[]; cold: IncResult[] }> {
  let results = new Map<string, ApplyRecord[]>();
  let cold: IncResult[] = [];
  const lab = structuredClone(base);
  const leaf1 = lab.links[0]!;
  const leaf2 = lab.links[1]!;
  const extra = 'l9001';
  const step = async (k: string) => {
    await sleep(WAIT_MS);
    const r = await timedApply(engine, lab);
    (results.get(k) ?? results.set(k, []).get(k)!).push(r);
  };
  for (let rep = 0; rep < warmup + reps; rep++) {
    if (rep === warmup) {
      // V8 optimizes the engine's code over its first applies, as in a server that has been up a
      // while: those rounds are not timed; the very first one is reported apart (`cold`).
      if (warmup > 0 && cold.length === 0)
        cold = [...results].map(([change, records]) => ({ change, records: records.slice(0, 1) }));
      results = new Map();
    }
    await step('no change (no-op apply)'); // the price of observe + diff alone
    leaf1.a.addresses = ['10.200.200.1/16'];
    await step('(a) change one address');
    leaf1.a.addresses = [`${leafIp(1)}/16`];
    await step('(a) change one address');
    leaf2.a.up = false;
    await step('(b) set one link down');
    delete leaf2.a.up;
    await step("(b') set it up again");
    lab.nodes[extra] = { kind: 'netns' };
    lab.links.push({
      a: { node: extra, interface: 'eth0', addresses: ['10.200.100.1/16'] },
      b: { node: 'br0', interface: 'h9001' },
    });
    await step('(c) add one leaf');
    delete lab.nodes[extra];
    lab.links.pop();
    await step("(c') remove that leaf");
    if (rep >= warmup) await afterRep?.();
  }
  return { results: [...results].map(([change, records]) => ({ change, records })), cold };
}

/** One-shot mode, on `engine` (no watch): as the CLI, each apply reads all N+1 namespaces. */
async function oneShot(
  engine: Engine,
  n: number,
  reps: number,
  warmup: number,
  concurrency: number,
): Promise<{ mode: IncMode; observeAllMs: Stat }> {
  const base = starLab(n);
  const t0 = now();
  await engine.apply(structuredClone(base));
  const initialApplyMs = now() - t0;
  const observeTimes: number[] = [];
  const { host, leaves } = engineNamespaces(PREFIX, base.name, n);
  try {
    const { results, cold } = await changes(engine, base, reps, warmup, async () => {
      const o0 = now();
      await observeNamespaces([host, ...leaves], { concurrency }); // observe alone, for the breakdown
      observeTimes.push(now() - o0);
    });
    return { mode: { mode: 'one-shot', initialApplyMs, results, cold }, observeAllMs: stat(observeTimes) };
  } finally {
    await engine.destroy(base.name);
  }
}

/** Long-lived mode: one `Engine({ watch: true })` creates the lab, makes every change, destroys it. */
async function longLived(
  dataDir: string,
  n: number,
  reps: number,
  warmup: number,
  concurrency: number,
): Promise<IncMode> {
  const engine = new Engine({ prefix: PREFIX, dataDir, concurrency, watch: true });
  const base = starLab(n);
  try {
    const t0 = now();
    await engine.apply(structuredClone(base));
    const initialApplyMs = now() - t0;
    try {
      await sleep(WAIT_MS);
      const firstAfterCreate = await timedApply(engine, base);
      const { results, cold } = await changes(engine, base, reps, warmup);
      // The link (b) sets down and up: the second leaf's eth0.
      const raw = await rawLink(engineNamespaces(PREFIX, base.name, n).leaves[1]!, 'eth0', reps);
      return { mode: 'watch', initialApplyMs, firstAfterCreate, results, cold, raw };
    } finally {
      await engine.destroy(base.name);
    }
  } finally {
    await engine.close();
  }
}

export async function incremental(
  oneShotEngine: Engine,
  dataDir: string,
  o: { incSize: number; incReps: number; incWarmup: number; concurrency: number; incModes: IncModeName[] },
): Promise<IncReport> {
  const report: IncReport = { n: o.incSize, reps: o.incReps, warmup: o.incWarmup, modes: [] };
  for (const m of o.incModes) {
    console.error(
      `[bench] incremental changes on N=${o.incSize}, ${o.incWarmup} untimed + ${o.incReps} timed repetitions, ${m} engine`,
    );
    if (m === 'one-shot') {
      const r = await oneShot(oneShotEngine, o.incSize, o.incReps, o.incWarmup, o.concurrency);
      report.modes.push(r.mode);
      report.observeAllMs = r.observeAllMs;
    } else {
      report.modes.push(await longLived(dataDir, o.incSize, o.incReps, o.incWarmup, o.concurrency));
    }
  }
  return report;
}
