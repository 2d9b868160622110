// Scratch namespaces: short-lived namespaces the project makes for itself (the capability probe), not
// lab namespaces. A crash (SIGKILL) between creating one and deleting it leaves it behind, so each is
// named so that it can be found and removed again later, and never taken for a lab's:
//
//   <prefix>_scratch.<purpose>-<pid>
//
// `_` cannot occur in a prefix or a lab name, so no lab namespace of any prefix has this form, and no
// other prefix's scratch namespace starts with ours (another prefix would have to contain `_`).
// The pid is the creator's: a scratch namespace whose creator is gone is a leftover; one whose
// creator still runs (a probe in progress, maybe in another process) is left alone.
// Before this naming the capability probe made `<prefix>caps-<pid>` (no dot: never a lab namespace
// either); those leftovers are recognised and removed too.

import { deleteNamespaces, listNamespaces, type DeleteResult } from './namespaces.js';
import { assertNamespaceName } from './process.js';

const SCRATCH_MARK = '_scratch.';
const PURPOSE_RE = /^[a-z][a-z0-9]{0,15}$/;

/** The name of this process's scratch namespace for `purpose` (e.g. "caps"). */
export function scratchNamespaceName(prefix: string, purpose: string, pid = process.pid): string {
  if (!PURPOSE_RE.test(purpose)) throw new Error(`bad scratch purpose ${JSON.stringify(purpose)}`);
  const name = `${prefix}${SCRATCH_MARK}${purpose}-${pid}`;
  assertNamespaceName(name);
  return name;
}

export interface ScratchNamespace {
  name: string;
  purpose: string;
  /** The process that made it. */
  pid: number;
}

/** Parses a scratch namespace name of `prefix` (today's form or the older `<prefix>caps-<pid>`). */
export function parseScratchNamespace(prefix: string, ns: string): ScratchNamespace | undefined {
  if (!ns.startsWith(prefix)) return undefined;
  const rest = ns.slice(prefix.length);
  const current = /^_scratch\.([a-z][a-z0-9]{0,15})-([1-9][0-9]{0,9})$/.exec(rest);
  if (current) return { name: ns, purpose: current[1]!, pid: Number(current[2]) };
  const legacy = /^caps-([1-9][0-9]{0,9})$/.exec(rest);
  if (legacy) return { name: ns, purpose: 'caps', pid: Number(legacy[1]) };
  return undefined;
}

/** Whether process `pid` exists (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Scratch namespaces of `prefix` present now, with whether their creator still runs. */
export async function listScratchNamespaces(prefix: string): Promise<(ScratchNamespace & { alive: boolean })[]> {
  const out: (ScratchNamespace & { alive: boolean })[] = [];
  for (const ns of await listNamespaces(prefix)) {
    const s = parseScratchNamespace(prefix, ns);
    if (s) out.push({ ...s, alive: processAlive(s.pid) });
  }
  return out;
}

/**
 * Removes the scratch namespaces of `prefix` whose creator is gone (a crash's leftovers); those of a
 * running process (its probe is in progress) stay. Returns what was removed.
 */
export async function removeStaleScratchNamespaces(prefix: string): Promise<DeleteResult[]> {
  const stale = (await listScratchNamespaces(prefix)).filter((s) => !s.alive).map((s) => s.name);
  return stale.length ? deleteNamespaces(stale) : [];
}
