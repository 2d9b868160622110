// A group of a plan's ops (one namespace, one tool, one stage) as execute.ts runs it, and the
// way such a group goes through the rtnetlink executor (nlexec.ts) instead of a process.

import type { NamespaceState, Op } from '@patchbay/topology';
import { runBatchViaNetlink } from './nlexec.js';
import { addFdbAttrs, namespaceFromJson } from './observe.js';

export interface OpFailure {
  op: Op;
  error: string;
}

/** The result of one group (one process, a run of iptables-restore processes, or one executor request). */
export interface GroupResult {
  done: Op[];
  errors: OpFailure[];
  read?: NamespaceState;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The process of a group failed as a whole: its first op is the failure. */
export function wholeGroupFailed(ops: Op[], error: string): GroupResult {
  return { done: [], errors: [{ op: ops[0]!, error }] };
}

/** Tools whose groups the rtnetlink executor may carry out. */
export const EXECUTOR_TOOLS: ReadonlySet<string> = new Set(['ip', 'netlink']);

/**
 * An `ip` (or `netlink`) group through the rtnetlink executor (nlexec.ts), with what `ip -batch`
 * would have reported; undefined when it is off or does not carry out some line (then nothing was
 * done).
 */
export async function runViaNetlink(
  ops: Op[],
  timeoutMs: number | undefined,
  readBack: boolean,
): Promise<GroupResult | undefined> {
  const first = ops[0]!;
  const input = ops.map((o) => `${o.args.join(' ')}\n`).join('');
  const a = await runBatchViaNetlink(first.ns, input, readBack, timeoutMs);
  if (a === undefined || a.kind === 'unsupported') return undefined;
  if (a.kind === 'error') return wholeGroupFailed(ops, a.error);
  const done = ops.slice(0, a.done);
  if (a.failed) {
    const op = ops[a.failed.line - 1] ?? ops[a.done]!;
    return { done, errors: [{ op, error: a.failed.error }] };
  }
  const result: GroupResult = { done, errors: [] };
  if (a.read) {
    try {
      result.read = namespaceFromJson(first.ns, a.read);
      addFdbAttrs(result.read, a.read[0]);
    } catch {
      /* not read back: verify reads the namespace itself */
    }
  }
  return result;
}
