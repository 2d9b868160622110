// A lab's `run:` processes (topology run.ts, kernel node-process.ts), as the engine keeps them:
// recorded under PATCHBAY_DATA/run/PREFIX/LAB/ (the kernel's record, log and status files per
// process), so that any later apply — by the CLI or the server, after either restarted — sees what
// runs and plans only the difference. Stops run before the kernel's plan (and before any namespace
// is deleted: `stopProcessesIn` from removingNamespaces), starts after it.
import { join } from 'node:path';
import {
  type NodeProcessInfo,
  listNodeProcesses,
  mapLimit,
  netnsEtcNames,
  readNodeProcessLog,
  readResolvConf,
  removeNetnsEtc,
  removeNodeProcessDir,
  startNodeProcess,
  stopNodeProcess,
  waitForUdpListener,
  writeResolvConf,
} from '@patchbay/kernel';
import {
  type Lab,
  type Op,
  type ProcessView,
  type RunningProcess,
  type CurrentResolvFile,
  desiredProcesses,
  desiredResolvFiles,
  isBridge,
  isDnsProcessName,
  namespaceName,
  planProcesses,
  planResolvFiles,
} from '@patchbay/topology';
import type { EngineSettings } from './settings.js';
import { labSandboxLimits } from './sandbox-groups.js';

/** What of the engine this file uses (not EngineContext itself: context.ts calls stopProcessesIn). */
export interface RunContext {
  readonly prefix: string;
  readonly settings: Pick<EngineSettings, 'dataDir' | 'concurrency' | 'sandboxLimits'>;
}

/** Where lab `lab`'s process records and logs live. */
export function processDir(ctx: RunContext, lab: string): string {
  return join(ctx.settings.dataDir, 'run', ctx.prefix, lab);
}

/** What runs (or ran) in lab `lab`, as the planner sees it. */
export function runningProcesses(ctx: RunContext, lab: string): RunningProcess[] {
  return listNodeProcesses(processDir(ctx, lab)).map((p) => ({
    node: p.node,
    ns: p.ns,
    name: p.name,
    command: p.command,
    key: p.key,
    state: p.state,
    pid: p.pid,
    ...(p.code !== undefined ? { code: p.code } : {}),
  }));
}

/** The resolver files (lab `dns:`) of `lab`'s nodes there now. */
export function currentResolvFiles(ctx: RunContext, lab: Lab): CurrentResolvFile[] {
  const out: CurrentResolvFile[] = [];
  // one readdir instead of a failing lstat per node: most nodes have no resolver file
  const withEtc = netnsEtcNames();
  for (const [node, spec] of Object.entries(lab.nodes)) {
    if (isBridge(spec)) continue;
    const ns = namespaceName(ctx.prefix, lab.name, node);
    if (!withEtc.has(ns)) continue;
    const content = readResolvConf(ns);
    if (content !== undefined) out.push({ ns, node, content });
  }
  return out;
}

/**
 * The process operations from what runs to what `lab` wants, with its nodes' resolver files
 * (dns.ts: written before any process starts, so each sees its node's); `deleted`: namespaces the
 * kernel plan deletes (their files go with them and are written again).
 */
export function planLabProcesses(ctx: RunContext, lab: Lab, deleted: readonly string[]): Op[] {
  const replaced = new Set(deleted);
  const files = planResolvFiles(desiredResolvFiles(lab, ctx.prefix), currentResolvFiles(ctx, lab), { replaced });
  const processes = planProcesses(desiredProcesses(lab, ctx.prefix), runningProcesses(ctx, lab.name), { replaced });
  const inPhase = (list: Op[], phase: Op['phase']) => list.filter((o) => o.phase === phase);
  return [
    ...inPhase(files, 'unprocess'),
    ...inPhase(processes, 'unprocess'),
    ...inPhase(files, 'process'),
    ...inPhase(processes, 'process'),
  ];
}

/** Carries out process ops (stops or starts) and resolver-file ops; resolves to the failures, in words. */
export async function runProcessOps(ctx: RunContext, lab: string, allOps: readonly Op[]): Promise<string[]> {
  const dir = processDir(ctx, lab);
  const limits = labSandboxLimits(ctx.prefix, lab, ctx.settings.sandboxLimits);
  const failures: string[] = [];
  // resolver files first: a process started next reads its node's
  for (const op of allOps.filter((o) => o.tool === 'file')) {
    try {
      if (op.args[0] === 'remove') removeNetnsEtc(op.ns);
      else await writeResolvConf(op.ns, op.input ?? '');
    } catch (e) {
      failures.push(`resolv.conf of ${op.subject.node}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const ops = allOps.filter((o) => o.tool !== 'file');
  // A stop is signals and waiting (up to its grace period), no process of ours: all at once. A start
  // spawns a supervisor and a sandbox: a few at a time.
  const width = ops.every((o) => o.phase === 'unprocess') ? Math.max(ops.length, 1) : ctx.settings.concurrency;
  await mapLimit([...ops], width, async (op) => {
    const [verb, key, command] = op.args as [string, string, string];
    try {
      if (verb === 'stop') await stopNodeProcess(dir, key);
      else
        await startNodeProcess({
          dir,
          ns: op.ns,
          node: op.subject.node,
          name: op.subject.detail ?? key,
          command,
          key,
          limits,
        });
    } catch (e) {
      failures.push(
        `${verb} ${op.subject.detail} on ${op.subject.node}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  });
  // a DNS server (dns.ts) must answer once the apply is over: its clients' first lookups (a check
  // right after apply) must not find port 53 closed
  const dnsStarts = ops.filter((o) => o.args[0] === 'start' && isDnsProcessName(o.subject.detail));
  await Promise.all(
    dnsStarts.map(async (op) => {
      if (!(await waitForUdpListener(op.ns, 53)))
        failures.push(`${op.subject.detail} on ${op.subject.node}: nothing listens on port 53 (see its output)`);
    }),
  );
  return failures;
}

/** Stops (gracefully) every recorded process in `namespaces`: before they are deleted. */
export async function stopProcessesIn(ctx: RunContext, lab: string, namespaces: readonly string[]): Promise<void> {
  const dir = processDir(ctx, lab);
  const set = new Set(namespaces);
  const inThem = listNodeProcesses(dir).filter((p) => set.has(p.ns));
  await Promise.all(inThem.map((p) => stopNodeProcess(dir, p.key))); // signals and waiting: all at once
}

/** After destroy: every process is gone with its namespace; the records and logs go too. */
export async function forgetLabProcesses(ctx: RunContext, lab: string): Promise<void> {
  const dir = processDir(ctx, lab);
  await Promise.all(listNodeProcesses(dir).map((p) => stopNodeProcess(dir, p.key)));
  removeNodeProcessDir(dir);
}

/** Bytes of each process's output shown in the lab state (its log keeps up to 64 KiB). */
export const STATE_OUTPUT_BYTES = 4096;

/** The `processes` of each node in the lab state: every line of the lab, and what still runs that it no longer has. */
export function processViews(ctx: RunContext, lab: Lab): Map<string, ProcessView[]> {
  const dir = processDir(ctx, lab.name);
  const recorded = new Map<string, NodeProcessInfo>(listNodeProcesses(dir).map((p) => [p.key, p]));
  const out = new Map<string, ProcessView[]>();
  const push = (node: string, v: ProcessView) => {
    const list = out.get(node) ?? [];
    list.push(v);
    out.set(node, list);
  };
  const view = (p: NodeProcessInfo): ProcessView => ({
    name: p.name,
    command: p.command,
    state: p.state,
    pid: p.pid,
    started: p.started,
    ...(p.code !== undefined ? { code: p.code } : {}),
    output: readNodeProcessLog(dir, p.key, STATE_OUTPUT_BYTES),
  });
  for (const d of desiredProcesses(lab, ctx.prefix)) {
    const p = recorded.get(d.key);
    recorded.delete(d.key);
    push(d.node, p ? view(p) : { name: d.name, command: d.command, state: 'stopped', output: '' });
  }
  for (const p of recorded.values()) push(p.node, view(p));
  return out;
}
