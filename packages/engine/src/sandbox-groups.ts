// One budget per lab for its students' sandboxes: every shell (and sandboxed step) started in a lab
// joins the cgroup `patchbay/lab.<prefix>.<lab>` (kernel sandbox-limits.ts), so all of a student's
// shells share one process, memory and CPU budget. The dots make the name unambiguous where
// namespace names are not (`pb-` + `t-x` and `pb-t-` + `x` are both `pb-t-x`): neither a prefix
// nor a lab name may contain one. Destroy removes the lab's group; recovery removes the groups of
// this prefix whose lab is gone (a crash between a lab's end and its group's removal).
import {
  listSandboxGroups,
  removeSandboxGroups,
  type SandboxLimitValues,
  type SandboxLimits,
  sandboxLimitProblems,
  DEFAULT_SANDBOX_LIMITS,
} from '@patchbay/kernel';
import { EngineError } from './errors.js';
import type { Journal } from './journal.js';
import { lockHeld } from './lock.js';

export function labSandboxGroup(prefix: string, lab: string): string {
  return `lab.${prefix}.${lab}`;
}

/** The sandbox limits of one lab: its group and the engine's per-student values. */
export function labSandboxLimits(prefix: string, lab: string, values: SandboxLimitValues): SandboxLimits {
  return { group: labSandboxGroup(prefix, lab), ...values };
}

/** Kills what still runs in the lab's group and removes it; throws `apply-failed` when it stays. */
export async function removeLabSandboxGroup(prefix: string, lab: string): Promise<void> {
  const [r] = await removeSandboxGroups([labSandboxGroup(prefix, lab)]);
  if (r && !r.ok) throw new EngineError('apply-failed', `could not remove the lab's sandbox cgroup: ${r.error}`);
}

/**
 * Removes the sandbox groups of this prefix whose lab has no journal entry (left by a crash), unless
 * the lab's lock is held (a live process is working on it). Returns the labs whose group went.
 */
export async function removeStaleSandboxGroups(target: { prefix: string; journal: Journal }): Promise<string[]> {
  const start = labSandboxGroup(target.prefix, '');
  const known = new Set((await target.journal.list()).map((e) => e.name));
  const removed: string[] = [];
  for (const group of listSandboxGroups(start)) {
    const lab = group.slice(start.length);
    if (!lab || lab.includes('.') || known.has(lab)) continue;
    if (await lockHeld(target.journal.lockPathOf(lab))) continue;
    const [r] = await removeSandboxGroups([group]);
    if (r?.ok) removed.push(lab);
  }
  return removed;
}

// ---- the per-student values, from options or PATCHBAY_LIMITS --------------------------------------

/** PATCHBAY_LIMITS fields (docs/server.md) → the kernel's names. */
const ENV_FIELDS: Record<string, keyof SandboxLimitValues> = {
  studentProcesses: 'processes',
  studentMemoryMiB: 'memoryMiB',
  studentCpuWeight: 'cpuWeight',
  studentCpuPercent: 'cpuPercent',
  studentOpenFiles: 'openFiles',
};

/**
 * The sandbox values from PATCHBAY_LIMITS's student* fields (the server checks the whole variable;
 * the CLI's `patchbay shell` reads the same fields here) over DEFAULT_SANDBOX_LIMITS. Other fields
 * are the server's and ignored; a bad value of these throws `invalid`.
 */
export function sandboxLimitsFromEnv(text: string | undefined): SandboxLimitValues {
  const values: SandboxLimitValues = { ...DEFAULT_SANDBOX_LIMITS };
  if (!text) return values;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EngineError('invalid', 'PATCHBAY_LIMITS is not JSON (e.g. {"studentProcesses": 256})');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EngineError('invalid', 'PATCHBAY_LIMITS must be a JSON object');
  }
  const picked: Partial<Record<keyof SandboxLimitValues, unknown>> = {};
  for (const [field, key] of Object.entries(ENV_FIELDS)) {
    if (Object.hasOwn(parsed, field)) picked[key] = (parsed as Record<string, unknown>)[field];
  }
  const problems = sandboxLimitProblems(picked);
  if (problems.length) {
    const byField = Object.fromEntries(Object.entries(ENV_FIELDS).map(([f, k]) => [k, f]));
    const named = problems.map((p) => p.replace(/^(\w+)/, (k) => byField[k] ?? k));
    throw new EngineError('invalid', `PATCHBAY_LIMITS is not valid: ${named.join('; ')}`);
  }
  return { ...values, ...(picked as Partial<SandboxLimitValues>) };
}
