// `pnpm bench:checks`: what an exercise check run costs, next to the raw way to gather the same
// facts in the same run (one `sh` script of `ip netns exec` commands, written by hand), and how long
// `validate` takes for each built-in exercise. Prefix `pbck-`, everything removed at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, runChecks, solveExercise, startExercise, validateExercise } from '@patchbay/engine';
import { deleteNamespaces, listNamespaces, mapLimit } from '@patchbay/kernel';
import { builtinScenario, builtinScenarios } from '@patchbay/scenarios/library';
import { machineFacts } from './report.js';
import { now, runAsync, sleep, writeBenchSection } from './util.js';

const PREFIX = 'pbck-';
const quick = process.argv.includes('--quick');
const RUNS = quick ? 5 : 20;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const f = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0));

/** The facts link-down's three checks need, gathered by hand: one sh script, one process per fact. */
function rawScript(ns: { web: string; db: string; host: string }): string {
  return [
    `ip netns exec ${ns.db} ip -j addr show eth0 >/dev/null`,
    `ip netns exec ${ns.web} ping -n -c 2 -i 0.2 -W 1 192.168.100.20 >/dev/null`,
    `ip netns exec ${ns.db} ip -j link show eth0 >/dev/null`,
    `ip netns exec ${ns.host} bridge -j fdb show br br0 >/dev/null`,
  ].join('\n');
}

async function timeRuns(fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = now();
    await fn();
    out.push(now() - t0);
    await sleep(50);
  }
  return out;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-bench-checks-'));
  const engine = new Engine({ prefix: PREFIX, dataDir });
  try {
    const ex = builtinScenario('link-down')!.scenario;
    await startExercise(engine, ex);
    const ns = { web: `${PREFIX}link-down.web`, db: `${PREFIX}link-down.db`, host: `${PREFIX}link-down._host` };
    const script = rawScript(ns);
    const fresh = await timeRuns(() => runChecks(engine, 'link-down', ex));
    const rawFresh = await timeRuns(() => runAsync('sh', ['-e'], script).catch(() => undefined));
    await solveExercise(engine, 'link-down');
    await sleep(1500);
    const solved = await timeRuns(() => runChecks(engine, 'link-down', ex));
    const rawSolved = await timeRuns(() => runAsync('sh', ['-e'], script));
    await engine.destroy('link-down');

    const validations: { id: string; level: string; ms: number; sound: boolean }[] = [];
    const t0 = now();
    await mapLimit(builtinScenarios(), 3, async (b) => {
      const proof = await validateExercise(engine, b.scenario);
      validations.push({ id: b.id, level: b.scenario.level, ms: proof.ms, sound: proof.sound });
    });
    const allMs = now() - t0;
    validations.sort((a, b) => a.id.localeCompare(b.id));

    const row = (what: string, xs: number[], raw: number[]) =>
      `| ${what} | ${f(pct(xs, 50))} | ${f(pct(xs, 95))} | ${f(pct(raw, 50))} / ${f(pct(raw, 95))} | ${(pct(xs, 50) / pct(raw, 50)).toFixed(2)} |`;
    const facts = machineFacts();
    const md = [
      `Measured ${new Date().toISOString().slice(0, 10)} (${Object.entries(facts)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')}), ${RUNS} runs each.`,
      '',
      '| `link-down`: 3 checks (interface, ping ×2, fdb), one run (ms) | p50 | p95 | raw `ip netns exec` script (p50 / p95) | × raw |',
      '|---|---|---|---|---|',
      row('fresh lab (2 checks fail: the ping waits 1 s for its last reply)', fresh, rawFresh),
      row('solved lab (all pass)', solved, rawSolved),
      '',
      `\`validate\` of every built-in (fresh → solution → reset, each in a lab of its own, 3 at a time): **${(allMs / 1000).toFixed(1)} s** for ${validations.length}.`,
      '',
      '| exercise | level | validate (s) | sound |',
      '|---|---|---|---|',
      ...validations.map(
        (v) => `| ${v.id} | ${v.level} | ${(v.ms / 1000).toFixed(1)} | ${v.sound ? 'yes' : '**no**'} |`,
      ),
    ].join('\n');
    process.stdout.write(md + '\n');
    if (!quick) writeBenchSection('checks', md);
  } finally {
    await deleteNamespaces(await listNamespaces(PREFIX));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
