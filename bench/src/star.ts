// `pnpm bench`: realizes a star lab (one bridge, N leaf namespaces) with the engine and, in the same
// run, with a hand-written `ip -batch` doing the same work (the research baseline's `batch` mode,
// and `batch6` = the same plus `addrgenmode none`). Times apply, readiness, destroy (command and
// kernel-complete), plus incremental changes on a running N=200 lab with a one-shot engine (as the
// CLI) and a long-lived one (`watch: true`, as the server). Prints Markdown tables and writes them
// into docs/benchmarks.md between the bench:star markers.
//
// Modules: options (arguments), lab (the star, its checks), engine-run, baseline, incremental,
// processes (counting the engine's processes), report (tables, doc), namespaces (cleanup), util.
//
// Safety: every namespace this creates starts with `pbb` (engine prefix `pbb-`, baseline `pbbh…`,
// scratch `pbbfix`); nothing is created in the machine's own network namespace; leftovers are
// removed at start, at the end, on failure and on SIGINT/SIGTERM, by exact name.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Engine } from '@patchbay/engine';
import { startNetlinkExecutor } from '@patchbay/kernel';
import { baselineRun, type BaselineMode } from './baseline.js';
import { engineRun } from './engine-run.js';
import { incremental, type IncReport } from './incremental.js';
import { cleanupLeftovers, ourNamespaces } from './namespaces.js';
import { DEFAULT_RUNS, parseArgs } from './options.js';
import { installProcessCounter, measureFixedCosts, type FixedCosts } from './processes.js';
import { machineFacts, report, writeDoc, type SizeReport } from './report.js';
import { PREFIX, ROOT, msf, now, sec, sleep } from './util.js';

/** The kernel frees destroyed namespaces in kworkers, for a second or more after 201 of them. */
const SETTLE_AFTER_INC_MS = 5_000;

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('pnpm bench needs root (it creates network namespaces)');
  const startedAt = new Date();
  const loadStart = loadavg();
  const tStart = now();
  cleanupLeftovers('start');
  const dataDir = mkdtempSync(join(tmpdir(), 'pbb-'));
  const onSignal = (sig: NodeJS.Signals) => {
    console.error(`[bench] ${sig}: cleaning up`);
    cleanupLeftovers('signal');
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed stdout/stderr (e.g. piped into `head`) must not kill the run before its cleanup.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  // Last resort: whatever way the process ends, no pbb* namespace stays behind (sync, exact names).
  process.on('exit', () => {
    try {
      cleanupLeftovers('exit');
      rmSync(dataDir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  });
  const sizes: SizeReport[] = [];
  let inc: IncReport | undefined;
  let fixed: FixedCosts | undefined;
  try {
    if (!(await installProcessCounter()))
      console.error('[bench] processes are not counted (spawner helper unavailable?)');
    fixed = await measureFixedCosts();
    const engine = new Engine({ prefix: PREFIX, dataDir, concurrency: o.concurrency });
    await engine.kernelFeatures(); // probe (and cache) kernel capabilities outside the timings
    // Like the spawner helper, the rtnetlink executor is started once per engine process: not timed.
    if (!(await startNetlinkExecutor())) console.error('[bench] the rtnetlink executor is off or cannot start');
    // The incremental changes first: after a big star is destroyed the kernel goes on freeing its
    // namespaces for seconds (kworkers), which millisecond timings would feel.
    if (o.incSize > 0) {
      inc = await incremental(engine, dataDir, o);
      await sleep(SETTLE_AFTER_INC_MS); // and the 200-leaf stars it destroyed are freed before N=10 is timed
    }
    for (const n of o.sizes) {
      const runs = o.runs ?? DEFAULT_RUNS[n] ?? 3;
      const s: SizeReport = { n, engine: [], baselines: {} };
      for (let r = 0; r < runs; r++) {
        // Alternate the order so drift in machine load hits both sides.
        const order: ('engine' | BaselineMode)[] =
          r % 2 === 0 ? ['engine', ...o.baselines] : [...[...o.baselines].reverse(), 'engine'];
        for (const who of order) {
          const t = now();
          if (who === 'engine') s.engine.push(await engineRun(engine, n));
          else (s.baselines[who] ??= []).push(await baselineRun(n, who, dataDir));
          const last = who === 'engine' ? s.engine.at(-1)! : s.baselines[who]!.at(-1)!;
          console.error(
            `[bench] N=${n} run ${r + 1}/${runs} ${who.padEnd(6)} apply ${sec(last.applyMs)} s, ready ${msf(last.readyMs)} ms, destroy ${sec(last.destroyCmdMs)} / ${sec(last.destroyCompleteMs)} s  (${sec(now() - t)} s with checks)`,
          );
          if (ourNamespaces().length)
            throw new Error(`namespaces left after ${who} N=${n}: ${ourNamespaces().slice(0, 5).join(', ')}`);
        }
      }
      sizes.push(s);
    }
  } finally {
    cleanupLeftovers('end');
    rmSync(dataDir, { recursive: true, force: true });
  }
  const block = report(sizes, inc, o, {
    startedAt,
    durationS: (now() - tStart) / 1000,
    loadStart,
    ...(fixed ? { fixed } : {}),
  });
  console.log(block);
  if (o.write) {
    const resultsDir = join(ROOT, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(
      join(resultsDir, 'star-latest.json'),
      JSON.stringify(
        {
          startedAt,
          options: { ...o, docPath: relative(ROOT, o.docPath) },
          machine: machineFacts(),
          fixed,
          sizes,
          incremental: inc,
        },
        null,
        2,
      ) + '\n',
    );
    writeDoc(o.docPath, block);
    console.error(`[bench] wrote ${o.docPath} and bench/results/star-latest.json`);
  }
}

main().catch((err: unknown) => {
  console.error(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  try {
    cleanupLeftovers('failure');
  } catch {
    /* best effort */
  }
  process.exit(1);
});
