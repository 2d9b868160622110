// The plan's `neigh` operations (`ip neigh flush to ADDRESS dev DEV`: neighbours forget the old MAC
// of an address that got a new owner, topology neighbours.ts) run through the namespace watcher in
// a watching engine: it holds a netlink socket in every lab namespace and knows which neighbour
// entries exist (kernel helpers/nlneigh.py), so the 199 flushes that changing one address of a
// 200-leaf star plans cost one round trip instead of 199 `ip` processes (~2 ms each). What the
// watcher cannot do (a namespace it does not watch) or that fails there runs as before, as `ip`.
import { executePlan, type ExecuteOptions, type ExecutionResult, type NeighbourFlush } from '@patchbay/kernel';
import type { Op } from '@patchbay/topology';
import type { EngineContext } from './context.js';

/** The flush an op stands for, or undefined if it is not a plain `neigh flush to A dev D`. */
function flushOf(op: Op): NeighbourFlush | undefined {
  const [verb, what, to, address, dev, name, ...rest] = op.args;
  if (op.phase !== 'neigh' || op.tool !== 'ip' || rest.length || verb !== 'neigh' || what !== 'flush') return undefined;
  if (to !== 'to' || dev !== 'dev' || !address || !name) return undefined;
  return { ns: op.ns, dev: name, address };
}

/** executePlan, with the `neigh` flushes done by the watcher when the engine watches. */
export async function executeKernelOps(
  ctx: EngineContext,
  ops: readonly Op[],
  opts: ExecuteOptions,
): Promise<ExecutionResult> {
  const flushes = new Map<Op, NeighbourFlush>();
  if (ctx.cache.watching)
    for (const op of ops) {
      const f = flushOf(op);
      if (f) flushes.set(op, f);
    }
  if (flushes.size === 0) return executePlan(ops, opts);
  const started = performance.now();
  const result = await executePlan(
    ops.filter((o) => !flushes.has(o)),
    opts,
  );
  if (!result.ok) return result;
  const stage = 'unfdb+fdb+neigh';
  opts.onProgress?.({ stage, done: 0, total: flushes.size });
  const answer = await ctx.watches
    .flushNeighbours([...flushes.values()])
    .catch(() => ({ flushed: 0, unknown: [...flushes.values()], failed: [] }));
  const again = new Set<NeighbourFlush>([...answer.unknown, ...answer.failed.map((f) => f.flush)]);
  const viaProcess = [...flushes].filter(([, f]) => again.has(f)).map(([op]) => op);
  const byWatcher = [...flushes].filter(([, f]) => !again.has(f)).map(([op]) => op);
  opts.onProgress?.({ stage, done: byWatcher.length, total: flushes.size });
  const rest = viaProcess.length ? await executePlan(viaProcess, opts) : undefined;
  for (const [n, s] of rest?.readBack ?? []) result.readBack.set(n, s);
  return {
    ...result,
    ok: rest?.ok ?? true,
    done: [...result.done, ...byWatcher, ...(rest?.done ?? [])],
    errors: rest?.errors ?? [],
    ...(rest?.failed ? { failed: rest.failed } : {}),
    durationMs: performance.now() - started,
  };
}
