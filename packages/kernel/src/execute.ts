// Runs a plan stage by stage (a stage: phases that can run together, topology STAGES); within a
// stage, one process per (namespace, tool) group, groups running concurrently. `rollback` undoes
// what a run did, best effort, in reverse order.

import { existsSync } from 'node:fs';
import { BRIDGEATTR_SCRIPT } from './bridge-attrs.js';
import {
  ownedNamespaceAdd,
  ownedNamespaceDel,
  userNamespacePath,
  type OwnedNamespaceResult,
} from './owned-namespaces.js';
import { PHASES, STAGES, type NamespaceState, type Op } from '@patchbay/topology';
import { parseConcatenatedJson } from './json.js';
import { READ_COMMANDS, namespaceFromJson } from './observe.js';
import { assertNamespaceName, mapLimit, parseBatchErrors, run, runInNamespace, type RunResult } from './process.js';

export interface OpFailure {
  op: Op;
  error: string;
}

export interface ExecutionResult {
  ok: boolean;
  /** Ops known to have succeeded (or, for sysctl, possibly taken effect), in execution order. */
  done: Op[];
  /** The first failure (in plan order). */
  failed?: OpFailure;
  /** Every failure seen (several groups of a stage can fail). */
  errors: OpFailure[];
  durationMs: number;
  /**
   * With `readBack`: the state of each namespace as its last `ip` batch left it, read by that same
   * process (no extra process per namespace). Links, addresses, routes and netconf only.
   */
  readBack: Map<string, NamespaceState>;
}

export interface ProgressEvent {
  /** The stage running: its phases joined by "+", e.g. "mark+tunnel+configure+route+sysctl+iptables". */
  stage: string;
  done: number;
  total: number;
}

export interface ExecuteOptions {
  /** Groups (namespace × tool) of one stage run at once. Default 4. */
  concurrency?: number;
  onProgress?: (e: ProgressEvent) => void;
  /** Per process. Default 30000. */
  timeoutMs?: number;
  /** Append READ_COMMANDS to each namespace's `ip` batch of the last stage that changes it (see readBack). */
  readBack?: boolean;
}

/** The result of one group (one process, or a run of iptables-restore processes). */
interface GroupResult {
  done: Op[];
  errors: OpFailure[];
  read?: NamespaceState;
}

const FORBIDDEN_ARG = /[\s'"#\\]/;

/** Throws if `op` could not be sent safely as a batch line or argv. */
export function validateOp(op: Op, path = 'op'): void {
  if (!(PHASES as readonly string[]).includes(op.phase))
    throw new Error(`${path}: unknown phase ${JSON.stringify(op.phase)}`);
  if (op.tool === 'process')
    throw new Error(
      `${path}: a \`run:\` process op is carried out by the engine (node-process.ts), not in a plan's batch`,
    );
  if (op.tool === 'file')
    throw new Error(
      `${path}: a resolver-file op is carried out by the engine (resolv-files.ts), not in a plan's batch`,
    );
  if (op.tool === 'cni')
    throw new Error(`${path}: a CNI op is carried out by the engine (kernel cni.ts), not in a plan's batch`);
  if (!Array.isArray(op.args) || op.args.length === 0) {
    if (op.tool !== 'iptables' && op.tool !== 'ebtables') throw new Error(`${path}: no args`);
  }
  for (const a of op.args ?? []) {
    if (typeof a !== 'string' || a.length === 0 || FORBIDDEN_ARG.test(a)) {
      throw new Error(`${path}: unsafe argument ${JSON.stringify(a)} (planner bug)`);
    }
  }
  switch (op.tool) {
    case 'netns': {
      if (op.ns !== '') throw new Error(`${path}: netns ops run in the machine's mount namespace (ns must be "")`);
      const [w, verb, name, ...rest] = op.args;
      if (w !== 'netns' || (verb !== 'add' && verb !== 'del') || name === undefined || rest.length > 0) {
        throw new Error(`${path}: netns ops are "netns add NAME" or "netns del NAME", got ${JSON.stringify(op.args)}`);
      }
      assertNamespaceName(name);
      break;
    }
    case 'ip':
    case 'bridge':
      assertNamespaceName(op.ns);
      break;
    case 'sysctl':
      assertNamespaceName(op.ns);
      if (op.args.length !== 1 || !/^[A-Za-z0-9_./-]+=[A-Za-z0-9_.:/-]*$/.test(op.args[0]!)) {
        throw new Error(`${path}: sysctl ops take one key=value, got ${JSON.stringify(op.args)}`);
      }
      break;
    case 'iptables':
    case 'ebtables':
      assertNamespaceName(op.ns);
      if (typeof op.input !== 'string') throw new Error(`${path}: ${op.tool} op without input`);
      // The command is iptables-restore or ip6tables-restore (IPv6 rules), nothing else.
      if (op.tool === 'iptables' && op.args.length > 0 && !IPTABLES_RESTORE.includes(op.args[0]!))
        throw new Error(`${path}: an iptables op runs iptables-restore or ip6tables-restore, got ${op.args[0]}`);
      break;
    case 'netlink': {
      assertNamespaceName(op.ns);
      const [l, s, d, dev, t, b, key, value, ...rest] = op.args;
      const shape = l === 'link' && s === 'set' && d === 'dev' && t === 'type' && b === 'bridge';
      if (!shape || key !== 'fdb_max_learned' || !/^[0-9]{1,10}$/.test(value ?? '') || rest.length || !dev)
        throw new Error(
          `${path}: netlink ops are "link set dev BRIDGE type bridge fdb_max_learned N", got ${JSON.stringify(op.args)}`,
        );
      break;
    }
    default:
      throw new Error(`${path}: unknown tool ${JSON.stringify(op.tool)}`);
  }
}

function processError(r: RunResult, tool: string): string {
  const text = r.stderr
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  return text || `${tool} exited with status ${r.code}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The process of a group failed as a whole: its first op is the failure. */
function wholeGroupFailed(ops: Op[], error: string): GroupResult {
  return { done: [], errors: [{ op: ops[0]!, error }] };
}

/** One `ip/bridge -batch -` for `ops` (ip/bridge/netns tools). */
async function runBatch(ops: Op[], timeoutMs: number | undefined, readBack = false): Promise<GroupResult> {
  const first = ops[0]!;
  // Changes print nothing under -j, so the output is exactly the JSON of the appended reads.
  const reads = readBack ? READ_COMMANDS.map((c) => `${c}\n`).join('') : '';
  const input = ops.map((o) => `${o.args.join(' ')}\n`).join('') + reads;
  const flags = [...(readBack ? ['-j', '-d'] : []), '-batch', '-']; // no -force: stop at the first failure
  const opts = timeoutMs === undefined ? { input } : { input, timeoutMs };
  let r: RunResult;
  try {
    r =
      first.tool === 'netns'
        ? await run('ip', flags, opts)
        : await runInNamespace(first.ns, first.tool === 'bridge' ? 'bridge' : 'ip', flags, opts);
  } catch (err) {
    return wholeGroupFailed(ops, errorMessage(err));
  }
  const { errors, trailing } = parseBatchErrors(r.stderr);
  if (r.code === 0 && errors.size === 0) {
    return readBack
      ? { done: [...ops], errors: [], read: namespaceFromJson(first.ns, parseConcatenatedJson(r.stdout)) }
      : { done: [...ops], errors: [] };
  }
  if (errors.size === 0) {
    // No line failed by itself: the process did not get to run the batch (e.g. nsenter failed).
    return wholeGroupFailed(ops, trailing || processError(r, first.tool));
  }
  const done: Op[] = [];
  const failures: OpFailure[] = [];
  ops.forEach((op, i) => {
    const err = errors.get(i + 1);
    if (err !== undefined) failures.push({ op, error: err || `line ${i + 1} failed` });
    else if (i + 1 < Math.min(...errors.keys())) done.push(op);
  });
  return { done, errors: failures };
}

/** One `sysctl -q -w k=v …` for `ops`. sysctl sets every key it can, even after a failing one. */
async function runSysctl(ops: Op[], timeoutMs: number | undefined): Promise<GroupResult> {
  const first = ops[0]!;
  const args = ['-q', '-w', ...ops.map((o) => o.args[0]!)];
  let r: RunResult;
  try {
    r = await runInNamespace(first.ns, 'sysctl', args, timeoutMs === undefined ? {} : { timeoutMs });
  } catch (err) {
    return { done: [...ops], errors: [{ op: first, error: errorMessage(err) }] };
  }
  if (r.code === 0) return { done: [...ops], errors: [] };
  const lines = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const failures: OpFailure[] = [];
  const failed = new Set<Op>();
  for (const line of lines) {
    const op = ops.find((o) => {
      const key = o.args[0]!.split('=')[0]!;
      return !failed.has(o) && (line.includes(`"${key}"`) || line.includes(`/proc/sys/${key.replace(/\./g, '/')}:`));
    });
    if (op) {
      failed.add(op);
      failures.push({ op, error: line });
    }
  }
  if (failures.length === 0) {
    // Cannot tell which key failed: any of them may have taken effect.
    return { done: [...ops], errors: [{ op: first, error: lines[0] ?? processError(r, 'sysctl') }] };
  }
  return { done: ops.filter((o) => !failed.has(o)), errors: failures };
}

const IPTABLES_RESTORE: readonly string[] = ['iptables-restore', 'ip6tables-restore'];

/** One `iptables-restore` (`ip6tables-restore`, `ebtables-restore`) per op, in order; stops at the first failure. */
async function runIptables(ops: Op[], timeoutMs: number | undefined): Promise<GroupResult> {
  const done: Op[] = [];
  const errors: OpFailure[] = [];
  for (const op of ops) {
    try {
      const input = op.input ?? '';
      const cmd =
        op.tool === 'ebtables'
          ? 'ebtables-restore'
          : op.args[0] === 'ip6tables-restore'
            ? op.args[0]
            : 'iptables-restore';
      // iptables ops carry their flags (`--noflush`: only the chains named in the input change).
      const args = op.tool === 'iptables' ? op.args.slice(1) : [];
      const r = await runInNamespace(op.ns, cmd, args, timeoutMs === undefined ? { input } : { input, timeoutMs });
      if (r.code === 0) done.push(op);
      else errors.push({ op, error: processError(r, cmd) });
    } catch (err) {
      errors.push({ op, error: errorMessage(err) });
    }
    if (errors.length > 0) break;
  }
  return { done, errors };
}

/**
 * Namespace creation and removal. Owned namespaces (netns and router nodes: a student shell may
 * run there) are made by nsowner.py, each owned by its own user namespace; the others by `ip netns
 * add`. Removal goes through nsowner.py for every namespace that has a user-namespace pin (it also
 * frees the pin and the uid), through `ip netns del` for the rest. Removals run before additions,
 * as the planner orders them.
 */
async function runNetns(ops: Op[], timeoutMs: number | undefined): Promise<GroupResult> {
  const done: Op[] = [];
  const errors: OpFailure[] = [];
  const viaHelper = async (list: Op[], call: (names: string[]) => Promise<OwnedNamespaceResult[]>) => {
    if (!list.length) return;
    let results: OwnedNamespaceResult[];
    try {
      results = await call(list.map((o) => o.args[2]!));
    } catch (err) {
      errors.push({ op: list[0]!, error: errorMessage(err) });
      return;
    }
    const byName = new Map(results.map((r) => [r.name, r]));
    for (const op of list) {
      const r = byName.get(op.args[2]!);
      if (r?.ok) done.push(op);
      else errors.push({ op, error: r?.error ?? 'nsowner gave no answer' });
    }
  };
  const viaIp = async (list: Op[]) => {
    if (!list.length) return;
    const r = await runBatch(list, timeoutMs);
    done.push(...r.done);
    errors.push(...r.errors);
  };
  const dels = ops.filter((o) => o.args[1] === 'del');
  const adds = ops.filter((o) => o.args[1] === 'add');
  const pinned = dels.filter((o) => existsSync(userNamespacePath(o.args[2]!)));
  await viaHelper(pinned, ownedNamespaceDel);
  await viaIp(dels.filter((o) => !pinned.includes(o)));
  if (errors.length) return { done, errors };
  await viaHelper(
    adds.filter((o) => o.owned),
    ownedNamespaceAdd,
  );
  if (errors.length) return { done, errors };
  await viaIp(adds.filter((o) => !o.owned));
  return { done, errors };
}

/**
 * One `bridgeattr.py batch` inside the namespace for `ops`: the lines iproute2 6.1 cannot run
 * (`fdb_max_learned`), carried out over rtnetlink. Like `ip -batch`, it stops at the first failure.
 */
async function runNetlink(ops: Op[], timeoutMs: number | undefined): Promise<GroupResult> {
  const first = ops[0]!;
  const input = ops.map((o) => `${o.args.join(' ')}\n`).join('');
  let r: RunResult;
  try {
    r = await runInNamespace(
      first.ns,
      'python3',
      [BRIDGEATTR_SCRIPT, 'batch'],
      timeoutMs === undefined ? { input } : { input, timeoutMs },
    );
  } catch (err) {
    return wholeGroupFailed(ops, errorMessage(err));
  }
  const done: Op[] = [];
  const errors: OpFailure[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    let answer: { line?: number; ok?: boolean; error?: string };
    try {
      answer = JSON.parse(line) as typeof answer;
    } catch {
      continue;
    }
    const op = ops[(answer.line ?? 0) - 1];
    if (!op) continue;
    if (answer.ok) done.push(op);
    else errors.push({ op, error: answer.error ?? 'failed' });
  }
  if (errors.length === 0 && done.length < ops.length)
    return { done, errors: [{ op: ops[done.length]!, error: processError(r, 'bridgeattr.py') }] };
  return { done, errors };
}

function runGroup(ops: Op[], timeoutMs: number | undefined, readBack = false): Promise<GroupResult> {
  switch (ops[0]!.tool) {
    case 'netlink':
      return runNetlink(ops, timeoutMs);
    case 'netns':
      return runNetns(ops, timeoutMs);
    case 'bridge':
      return runBatch(ops, timeoutMs);
    case 'ip':
      return runBatch(ops, timeoutMs, readBack);
    case 'sysctl':
      return runSysctl(ops, timeoutMs);
    case 'iptables':
    case 'ebtables':
      return runIptables(ops, timeoutMs);
    case 'process':
    case 'file':
    case 'cni':
      throw new Error(`${ops[0]!.tool} ops are not run by executePlan`); // refused by validateOp already
  }
}

/** Groups by (ns, tool), preserving the order of first appearance and of ops within a group. */
function groupByTarget(ops: readonly Op[]): Op[][] {
  const groups = new Map<string, Op[]>();
  for (const op of ops) {
    const key = `${op.tool}\u0000${op.ns}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(op);
  }
  return [...groups.values()];
}

/** For each namespace, the last stage that changes it (as the namespace of an op, or as the far end of a new veth). */
function lastStageTouching(ops: readonly Op[]): Map<string, number> {
  const stageOf = new Map<string, number>();
  STAGES.forEach((stage, i) => stage.forEach((phase) => stageOf.set(phase, i)));
  const last = new Map<string, number>();
  const touch = (ns: string, i: number) => last.set(ns, Math.max(last.get(ns) ?? -1, i));
  for (const op of ops) {
    const i = stageOf.get(op.phase)!;
    touch(op.tool === 'netns' ? op.args[2]! : op.ns, i);
    for (const other of op.alsoTouches ?? []) touch(other, i);
  }
  return last;
}

/**
 * Runs `ops` stage by stage (STAGES). Within a stage, the ops of each (namespace, tool) run as one
 * process, in the order given (the planner sorts by phase), up to `concurrency` processes at once.
 * When a group fails, the other groups of that stage finish, then execution stops. Throws (before
 * running anything) if an op is unsafe.
 */
export async function executePlan(ops: readonly Op[], opts: ExecuteOptions = {}): Promise<ExecutionResult> {
  const started = performance.now();
  ops.forEach((op, i) => validateOp(op, `ops[${i}]`));
  const done: Op[] = [];
  const errors: OpFailure[] = [];
  const readBack = new Map<string, NamespaceState>();
  const finalStage = opts.readBack ? lastStageTouching(ops) : new Map<string, number>();
  for (const [stageIndex, stage] of STAGES.entries()) {
    const inStage = new Set<string>(stage);
    const stageOps = ops.filter((o) => inStage.has(o.phase));
    if (stageOps.length === 0) continue;
    const stageName = stage.join('+');
    const groups = groupByTarget(stageOps);
    let finished = 0;
    opts.onProgress?.({ stage: stageName, done: 0, total: stageOps.length });
    const results = await mapLimit(groups, opts.concurrency ?? 4, async (g) => {
      // A namespace's state is final once no later stage touches it: read it back right there.
      const reading = g[0]!.tool === 'ip' && finalStage.get(g[0]!.ns) === stageIndex;
      const r = await runGroup(g, opts.timeoutMs, reading);
      if (r.read) readBack.set(r.read.name, r.read);
      finished += g.length;
      opts.onProgress?.({ stage: stageName, done: finished, total: stageOps.length });
      return r;
    });
    for (const r of results) {
      done.push(...r.done);
      errors.push(...r.errors);
    }
    if (errors.length > 0) break;
  }
  const result: ExecutionResult = {
    ok: errors.length === 0,
    done,
    errors,
    durationMs: performance.now() - started,
    readBack,
  };
  if (errors[0]) result.failed = errors[0];
  return result;
}
