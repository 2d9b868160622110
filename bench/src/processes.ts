// Counts the processes the engine starts. Every command of @patchbay/kernel goes through its spawner
// helper (packages/kernel/src/spawner.ts); the bench wraps that helper's `run` and logs each call
// with its time, so an apply's processes can be attributed to observe, execute and verify. The
// module is loaded by the URL @patchbay/kernel resolves to, so it is the instance the engine uses.
// If the helper is unavailable (no python3), the kernel package falls back to child_process and
// nothing is counted: the report then shows "–".

import { closeSpawner, run, runInNamespace, scratchNamespaceName } from '@patchbay/kernel';
import { deleteByName } from './namespaces.js';
import { now, runAsync, sh } from './util.js';

interface SpawnerLike {
  run(ns: string | null, argv: readonly string[], opts?: unknown): Promise<unknown>;
}

const log: { t: number; argv0: string }[] = [];
/** Requests of the rtnetlink executor (packages/kernel helpers/nlexec.py), not programs. */
const NLEXEC_COMMANDS = new Set(['configure', 'read', 'netns-add', 'netns-del', 'version']);
let working = false;

/** Patches the spawner; afterwards `working` says whether a test call was seen. */
export async function installProcessCounter(): Promise<boolean> {
  try {
    const url = new URL('./spawner.js', import.meta.resolve('@patchbay/kernel'));
    const mod = (await import(url.href)) as { Spawner: { prototype: SpawnerLike } };
    const proto = mod.Spawner.prototype;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the spawner as `this`
    const original = proto.run;
    proto.run = function (this: SpawnerLike, ns, argv, opts) {
      // The rtnetlink executor runs on the same class: its requests start no process.
      if (!NLEXEC_COMMANDS.has(argv[0] ?? '')) log.push({ t: now(), argv0: argv[0] ?? '' });
      return original.call(this, ns, argv, opts);
    };
    const before = log.length;
    await run('true', []);
    working = log.length === before + 1;
  } catch (err) {
    console.error(`[bench] cannot count processes: ${(err as Error).message}`);
    working = false;
  }
  return working;
}

/** A mark to count from. */
export const processMark = () => log.length;

/** Start times of the processes started since `mark` (undefined when counting does not work). */
export function processesSince(mark: number): number[] | undefined {
  return working ? log.slice(mark).map((e) => e.t) : undefined;
}

export interface FixedCosts {
  /** First command after (re)starting the spawner helper, minus a warm one: the helper's start. */
  spawnerStartMs: number;
  /** `ip -V` in a namespace through the warm spawner helper (as the engine now runs commands), median. */
  processViaSpawnerMs: number;
  /** `nsenter --net=… ip -V` spawned from Node (as the engine ran commands before the helper), median. */
  processDirectMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * What every process costs, and what a CLI process pays once (the spawner helper's start), measured
 * in a scratch namespace that is removed again (named as the kernel package names scratch
 * namespaces, so that a `pb-` server's recovery removes it if this run is killed).
 */
export async function measureFixedCosts(): Promise<FixedCosts> {
  const ns = scratchNamespaceName('pb-', 'benchfix');
  const made = sh('ip', ['netns', 'add', ns]);
  if (made.status !== 0) throw new Error(`ip netns add ${ns}: ${made.stderr.trim()}`);
  try {
    const warm: number[] = [];
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      await closeSpawner();
      let t = now();
      await runInNamespace(ns, 'ip', ['-V']);
      starts.push(now() - t);
      t = now();
      await runInNamespace(ns, 'ip', ['-V']);
      warm.push(now() - t);
    }
    for (let i = 0; i < 15; i++) {
      const t = now();
      await runInNamespace(ns, 'ip', ['-V']);
      warm.push(now() - t);
    }
    const direct: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = now();
      await runAsync('nsenter', [`--net=/run/netns/${ns}`, '--', 'ip', '-V'], '');
      direct.push(now() - t);
    }
    return {
      spawnerStartMs: median(starts) - median(warm),
      processViaSpawnerMs: median(warm),
      processDirectMs: median(direct),
    };
  } finally {
    deleteByName([ns]);
  }
}
