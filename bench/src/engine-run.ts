// Engine runs: `engine.apply` with its breakdown (the engine's own timings, execution stages from
// onProgress, the processes it started), and one full engine run of the star (apply, readiness,
// equivalence, destroy command and kernel-complete).

import { closeSync, openSync } from 'node:fs';
import type { ApplyResult, Engine } from '@patchbay/engine';
import { STAGES, type Lab, type Op } from '@patchbay/topology';
import { engineNamespaces, leafIp, pingReady, starLab, verifyStar } from './lab.js';
import { waitDownComplete } from './namespaces.js';
import { processMark, processesSince } from './processes.js';
import { PREFIX, now } from './util.js';

/** A readable name for an execution stage (STAGES in packages/topology/src/plan-types.ts). */
export function stageLabel(stage: readonly string[]): string {
  if (stage.includes('namespace')) return 'netns';
  if (stage.includes('configure')) return 'configure';
  if (stage.includes('fdb')) return 'fdb';
  if (stage.length === 1) return stage[0]!;
  return stage.join('+');
}

/** Stage labels in execution order. */
export const STAGE_LABELS: readonly string[] = STAGES.map(stageLabel);

export interface StageTime {
  /** Readable label (`netns`, `link`, `configure`, …). */
  stage: string;
  /** The stage's phases joined by "+", as in progress events. */
  key: string;
  /** From the stage's first progress event (it starts) to its last (its last process ended). */
  ms: number;
  /** Processes started in the stage (counted), or (namespace, tool) groups of its ops if not counted. */
  processes: number;
  ops: number;
}

export interface ProcessCounts {
  observe: number;
  execute: number;
  verify: number;
  total: number;
}

export interface ApplyRecord {
  wallMs: number;
  timings: ApplyResult['timings'];
  ops: number;
  stages: StageTime[];
  /** Processes the apply started, by part; undefined if they could not be counted. */
  processes?: ProcessCounts;
}

function groupCount(ops: readonly Op[]): number {
  return new Set(ops.map((o) => `${o.tool}\u0000${o.ns}`)).size;
}

/** engine.apply with stage timestamps from onProgress and the processes it started. */
export async function timedApply(engine: Engine, lab: Lab): Promise<ApplyRecord> {
  const marks = new Map<string, { start: number; end: number }>();
  const input = structuredClone(lab); // a new object each time, as from a request; not timed (0.65 ms at N=200)
  const mark = processMark();
  const t0 = now();
  const r = await engine.apply(input, {
    onProgress: (e) => {
      const t = now();
      const m = marks.get(e.stage);
      if (!m) marks.set(e.stage, { start: t, end: t });
      else m.end = t;
    },
  });
  const wallMs = now() - t0;
  if (r.drift.length) throw new Error(`apply ${lab.name}: drift after apply: ${JSON.stringify(r.drift.slice(0, 3))}`);
  const spawned = processesSince(mark);
  const seen = [...marks.values()];
  const execStart = seen.length ? Math.min(...seen.map((m) => m.start)) : Infinity;
  const execEnd = seen.length ? Math.max(...seen.map((m) => m.end)) : Infinity;
  const stages: StageTime[] = [];
  for (const stage of STAGES) {
    const key = stage.join('+');
    const ops = r.ops.filter((o) => (stage as readonly string[]).includes(o.phase));
    if (!ops.length) continue;
    const m = marks.get(key);
    const processes = spawned && m ? spawned.filter((t) => t >= m.start && t <= m.end).length : groupCount(ops);
    stages.push({ stage: stageLabel(stage), key, ms: m ? m.end - m.start : NaN, processes, ops: ops.length });
  }
  const processes = spawned && {
    observe: spawned.filter((t) => t < execStart).length,
    execute: spawned.filter((t) => t >= execStart && t <= execEnd).length,
    verify: spawned.filter((t) => t > execEnd).length,
    total: spawned.length,
  };
  return { wallMs, timings: r.timings, ops: r.ops.length, stages, ...(processes ? { processes } : {}) };
}

/** The part of an apply the engine's timings do not name: journal writes, the lock, the rest. */
export const otherMs = (a: ApplyRecord) =>
  a.timings.totalMs - a.timings.observeMs - a.timings.planMs - a.timings.executeMs - a.timings.verifyMs;

export interface RunRecord {
  applyMs: number;
  apply?: ApplyRecord;
  readyMs: number;
  destroyCmdMs: number;
  destroyCompleteMs: number;
  linkLocal: number;
}

export async function engineRun(engine: Engine, n: number): Promise<RunRecord> {
  const lab = starLab(n);
  const { host: hostNs, leaves } = engineNamespaces(PREFIX, lab.name, n);
  let applied = false;
  try {
    const apply = await timedApply(engine, lab);
    applied = true;
    const ready = pingReady(leaves[0]!, leafIp(n));
    const { linkLocal } = verifyStar(hostNs, 'br0', leaves);
    const fd = openSync(`/run/netns/${hostNs}`, 'r');
    try {
      const d0 = now();
      const { removed } = await engine.destroy(lab.name);
      const d1 = now();
      if (removed.length !== n + 1) throw new Error(`destroy removed ${removed.length} namespaces, expected ${n + 1}`);
      await waitDownComplete([hostNs, ...leaves], fd);
      const d2 = now();
      applied = false;
      return {
        applyMs: apply.wallMs,
        apply,
        readyMs: ready.ms,
        destroyCmdMs: d1 - d0,
        destroyCompleteMs: d2 - d0,
        linkLocal,
      };
    } finally {
      closeSync(fd);
    }
  } finally {
    if (applied) await engine.destroy(lab.name).catch(() => undefined);
  }
}
