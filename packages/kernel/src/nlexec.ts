// The rtnetlink executor (helpers/nlexec.py): one long-lived helper that creates a plan's
// namespaces and carries out its configure batches over rtnetlink, where `ip` would cost one
// process per namespace. The plan is unchanged — every operation is still the `ip` line it shows and
// `export --script` prints — only the way a batch reaches the kernel differs: a batch with any line
// the helper does not know (helpers/rtnl_ops.py) goes to `ip -batch` whole, as before.
//
// The helper speaks the spawner's protocol, so a Spawner runs it (started on first use, restarted
// after it dies, unreferenced while idle). PATCHBAY_NLEXEC=0 turns it off (everything through `ip`
// and nsowner.py, as before); without python3 it cannot start and the same happens.

import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Spawner, SpawnerError } from './spawner.js';
import { assertNamespaceName, createLimiter } from './process.js';

export const NLEXEC_SCRIPT = fileURLToPath(new URL('../helpers/nlexec.py', import.meta.url));

// Executors: one per core, up to two. A namespace's batches and reads always go to the same one
// (by its name), so what one namespace is asked is answered in the order it was asked, as with one
// executor; different namespaces' batches run on both cores at once, as separate `ip -batch`
// processes did (the configure stage of a new 200-node lab is Python decoding and encoding, not
// the kernel's work, for most of its time). Namespace creation and deletion go to the first.
// PATCHBAY_NLEXEC_WORKERS=N sets how many (1 to 4).
let pool: Spawner[] = [];

function poolSize(): number {
  const asked = Number(process.env['PATCHBAY_NLEXEC_WORKERS']);
  if (Number.isInteger(asked) && asked >= 1 && asked <= 4) return asked;
  return Math.min(2, availableParallelism());
}

// Requests the helper holds at once. It answers them one by one; a request's timeout runs from
// when it is sent, so a stage of 1,000 namespaces is not sent in one go on a busy machine: enough
// in flight to keep the helper busy, few enough that each is answered well within its timeout.
const inFlight = createLimiter(32);

/** Which of `size` executors serves namespace `ns` (FNV-1a of its name): always the same one. */
export function executorSlot(ns: string, size: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ns.length; i++) h = Math.imul(h ^ ns.charCodeAt(i), 0x01000193);
  return (h >>> 0) % size;
}

/**
 * The executor for namespace `ns` (the first for namespace creation and deletion), or undefined
 * when it is turned off or could not start. One that could not start leaves its namespaces to the first.
 */
function executor(ns: string | null = null): Spawner | undefined {
  if (process.env['PATCHBAY_NLEXEC'] === '0') return undefined;
  if (pool.length === 0) pool = Array.from({ length: poolSize() }, () => new Spawner({ script: NLEXEC_SCRIPT }));
  const first = pool[0]!;
  if (first.unavailable !== undefined) return undefined;
  const mine = ns === null ? first : pool[executorSlot(ns, pool.length)]!;
  return mine.unavailable === undefined ? mine : first;
}

/** Whether batches and namespace creation may go through the executor (not whether a batch will). */
export function netlinkExecutorEnabled(): boolean {
  return executor() !== undefined;
}

/**
 * Starts the helpers now (each starts on first use otherwise, ~30 ms of Python start-up): true
 * when the first runs, false when it is off or cannot start.
 */
export async function startNetlinkExecutor(): Promise<boolean> {
  if (!executor()) return false;
  const started = await Promise.all(
    pool.map((ex) =>
      ex.run(null, ['version']).then(
        (r) => r.code === 0,
        () => false,
      ),
    ),
  );
  return started[0] === true;
}

/** Stops the helpers, if any (tests, graceful shutdown). The next use starts new ones. */
export async function closeNetlinkExecutor(): Promise<void> {
  const stopping = pool;
  pool = [];
  await Promise.all(stopping.map((s) => s.close()));
}

/** What the executor did with one namespace's batch. */
export type NetlinkBatchAnswer =
  /** A line it does not carry out: nothing was done; run the batch with `ip`. */
  | { kind: 'unsupported'; why: string }
  /** It ran the lines up to `done` (and the failing one, if any); `read`: READ_COMMANDS' values. */
  | { kind: 'ran'; done: number; failed?: { line: number; error: string }; read?: unknown[] }
  /** The batch did not run: the namespace could not be entered, or the helper died meanwhile. */
  | { kind: 'error'; error: string };

interface BatchJson {
  unsupported?: string;
  done?: number;
  failed?: { line: number; error: string };
  read?: unknown[];
}

/**
 * One namespace's `ip -batch` text (the lines of a group, without reads) through the executor;
 * `read` asks for the namespace's state afterwards (READ_COMMANDS' JSON values). Undefined when the
 * executor is off or unavailable (nothing ran).
 */
export async function runBatchViaNetlink(
  ns: string,
  input: string,
  read: boolean,
  timeoutMs = 30_000,
): Promise<NetlinkBatchAnswer | undefined> {
  assertNamespaceName(ns);
  const ex = executor(ns);
  if (!ex) return undefined;
  let r;
  try {
    r = await inFlight(() => ex.run(ns, read ? ['configure', '--read'] : ['configure'], { input, timeoutMs }));
  } catch (err) {
    if (err instanceof SpawnerError && err.kind === 'unavailable') return undefined;
    return { kind: 'error', error: err instanceof Error ? err.message : String(err) };
  }
  if (r.code !== 0) return { kind: 'error', error: r.stderr.trim() || `nlexec exited with ${r.code}` };
  const j = (r.json ?? JSON.parse(r.stdout)) as BatchJson;
  if (typeof j.unsupported === 'string') return { kind: 'unsupported', why: j.unsupported };
  return {
    kind: 'ran',
    done: j.done ?? 0,
    ...(j.failed ? { failed: j.failed } : {}),
    ...(j.read ? { read: j.read } : {}),
  };
}

/** READ_COMMANDS' JSON values of `ns`, read over rtnetlink; undefined when the executor is off. */
export async function readViaNetlink(ns: string): Promise<unknown[] | undefined> {
  assertNamespaceName(ns);
  const ex = executor(ns);
  if (!ex) return undefined;
  const r = await ex.run(ns, ['read']);
  if (r.code !== 0) throw new Error(`nlexec read ${ns}: ${r.stderr.trim()}`);
  return ((r.json ?? JSON.parse(r.stdout)) as { read: unknown[] }).read;
}

export interface NamespaceAddResult {
  name: string;
  ok: boolean;
  uid?: number;
  error?: string;
}

/**
 * Creates the named namespaces in the executor: owned ones each in a user namespace of its own
 * (as nsowner.py), plain ones as `ip netns add`. Undefined when the executor is off or unavailable
 * (nothing ran).
 */
export function addNamespacesViaNetlink(
  names: readonly string[],
  owned: boolean,
): Promise<NamespaceAddResult[] | undefined> {
  return namespacesViaNetlink(['netns-add', ...(owned ? ['--owned'] : [])], names);
}

/**
 * Deletes owned network namespaces in the executor, as nsowner.py's `del` does (the netns and userns
 * pins unmounted and removed, the host uids freed), without starting a Python process (~20 ms of
 * a node's removal). The caller kills the processes inside first (ownedNamespaceDel). Undefined when
 * the executor is off or unavailable (nothing ran).
 */
export function deleteOwnedNamespacesViaNetlink(names: readonly string[]): Promise<NamespaceAddResult[] | undefined> {
  return namespacesViaNetlink(['netns-del', '--owned'], names);
}

async function namespacesViaNetlink(
  command: readonly string[],
  names: readonly string[],
): Promise<NamespaceAddResult[] | undefined> {
  names.forEach(assertNamespaceName);
  const ex = executor();
  if (!ex || names.length === 0) return ex ? [] : undefined;
  let r;
  try {
    r = await ex.run(null, [...command, ...names], {
      timeoutMs: 30_000 + 100 * names.length,
    });
  } catch (err) {
    if (err instanceof SpawnerError && err.kind === 'unavailable') return undefined;
    const error = err instanceof Error ? err.message : String(err);
    return names.map((name) => ({ name, ok: false, error }));
  }
  const byName = new Map<string, NamespaceAddResult>();
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as NamespaceAddResult;
    if (typeof o.name === 'string') byName.set(o.name, o);
  }
  const why = r.stderr.trim() || `nlexec exited with ${r.code}`;
  return names.map((name) => byName.get(name) ?? { name, ok: false, error: why });
}
