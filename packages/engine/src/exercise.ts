// Exercises on the real kernel: start a scenario's lab (under the scenario's lab name or another),
// remember which scenario a lab came from (a file beside its journal, so `patchbay scenario check
// NAME` and the server find it again), reset it, run the reference solution, and `validate`: the
// proof that an exercise is sound — the fresh lab fails a check, the solution makes all pass, a
// reset lab fails again.
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseScenarioText, scenarioToYaml, type Scenario, type SolutionStep } from '@patchbay/scenarios';
import type { ApplyResult } from './apply.js';
import type { Engine } from './engine.js';
import { EngineError } from './errors.js';
import { nodeNamespaces, runChecks, runInNode, type ChecksRun } from './probes.js';

export { ChecksAbandoned, runChecks, type ChecksRun, type RunChecksOptions } from './probes.js';

/** What is kept of a lab started from a scenario. */
export interface ExerciseRecord {
  version: 1;
  lab: string;
  startedAt: string;
  /** The scenario file as text (YAML, lab inline, the lab under its scenario name). */
  scenario: string;
}

export interface StepRun {
  node: string;
  run: string;
  code: number;
  output: string;
}

const recordPath = (engine: Engine, name: string) => engine.journal.exercisePathOf(name);

/** The scenario lab `name` was started from, or undefined when it was not started from one. */
export async function exerciseOf(
  engine: Engine,
  name: string,
): Promise<{ record: ExerciseRecord; scenario: Scenario } | undefined> {
  let text: string;
  try {
    text = await readFile(recordPath(engine, name), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const record = JSON.parse(text) as ExerciseRecord;
  return { record, scenario: parsedScenario(record.scenario, name) };
}

/**
 * Scenarios parsed from exercise records, by their text. A lab host asks for a lab's exercise on
 * every check run of a lab it holds for a coordinator (the class session, and its parsed scenario,
 * is the coordinator's): parsing the YAML each time was most of the agent's CPU beyond a single
 * process's in `pnpm bench:scale`. Bounded; the oldest text goes first.
 */
const parsedScenarios = new Map<string, Scenario>();
const MAX_PARSED_SCENARIOS = 256;

/** The scenario of a record's text; each caller gets a copy of its own. */
function parsedScenario(text: string, lab: string): Scenario {
  let scenario = parsedScenarios.get(text);
  if (!scenario) {
    const parsed = parseScenarioText(text);
    if (!parsed.scenario || parsed.problems.length)
      throw new EngineError(
        'invalid',
        `the exercise record of lab ${lab} no longer parses: ${parsed.problems.map((p) => p.message).join('; ')}`,
      );
    scenario = parsed.scenario;
    if (parsedScenarios.size >= MAX_PARSED_SCENARIOS) parsedScenarios.delete(parsedScenarios.keys().next().value!);
    parsedScenarios.set(text, scenario);
  }
  return structuredClone(scenario);
}

async function writeRecord(engine: Engine, record: ExerciseRecord): Promise<void> {
  const path = recordPath(engine, record.lab);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 }); // the data directory: its owner's only
  await writeFile(`${path}.tmp`, JSON.stringify(record, null, 2));
  await rename(`${path}.tmp`, path);
}

export async function forgetExercise(engine: Engine, name: string): Promise<void> {
  await unlink(recordPath(engine, name)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

/** Runs steps in order (bridges in their host's namespace); stops at the first that fails when `stopOnFailure`. */
export async function runSteps(
  engine: Engine,
  name: string,
  steps: SolutionStep[],
  opts: { stopOnFailure?: boolean } = {},
): Promise<StepRun[]> {
  const entry = await engine.entry(name);
  const nsOf = nodeNamespaces(entry.lab ?? entry.pending!, engine.prefix);
  const limits = engine.sandboxLimits(name); // steps share the lab's budget (and its cgroup goes with the lab)
  const out: StepRun[] = [];
  for (const step of steps) {
    const r = await runInNode(nsOf(step.node), step.run, step.node, limits);
    out.push({ node: step.node, run: step.run, code: r.code, output: (r.stdout + r.stderr).trim() });
    if (r.code !== 0 && opts.stopOnFailure) break;
  }
  return out;
}

export interface StartedExercise {
  lab: string;
  apply: ApplyResult;
  setup: StepRun[];
}

/**
 * Realizes the scenario's lab as `lab` (default: the scenario's own lab name), runs its `setup`
 * steps, and records the scenario for the lab. A lab of that name that was not started from this
 * scenario is refused: starting never takes over someone else's lab.
 */
export async function startExercise(
  engine: Engine,
  scenario: Scenario,
  opts: { lab?: string } = {},
): Promise<StartedExercise> {
  const name = opts.lab ?? scenario.lab.name;
  const existing = await engine.entry(name).catch(() => undefined);
  const previous = await exerciseOf(engine, name).catch(() => undefined);
  if (existing && previous?.scenario.id !== scenario.id) {
    throw new EngineError(
      'conflict',
      `lab ${name} already exists${previous ? ` (started from ${previous.scenario.id})` : ''}: destroy it first, or choose another name with --lab`,
    );
  }
  const lab = { ...scenario.lab, name };
  const apply = await engine.apply(lab);
  await writeRecord(engine, {
    version: 1,
    lab: name,
    startedAt: new Date().toISOString(),
    scenario: scenarioToYaml(scenario),
  });
  const setup = await runSteps(engine, name, scenario.setup ?? [], { stopOnFailure: true });
  const failed = setup.find((s) => s.code !== 0);
  if (failed)
    throw new EngineError(
      'apply-failed',
      `setup step \`${failed.run}\` in ${failed.node} exited with ${failed.code}: ${failed.output || 'no output'}`,
    );
  return { lab: name, apply, setup };
}

/** Puts lab `name` back as its scenario starts: destroyed and realized afresh, setup run again. */
export async function resetExercise(engine: Engine, name: string): Promise<StartedExercise> {
  const ex = await exerciseOf(engine, name);
  if (!ex) throw new EngineError('not-found', `lab ${name} was not started from a scenario`);
  await engine.destroy(name).catch((e: unknown) => {
    if (!(e instanceof EngineError && e.code === 'not-found')) throw e;
  });
  return startExercise(engine, ex.scenario, { lab: name });
}

/** Checks of lab `name` against the scenario it was started from. */
export async function checkExercise(engine: Engine, name: string): Promise<ChecksRun> {
  const ex = await exerciseOf(engine, name);
  if (!ex)
    throw new EngineError('not-found', `lab ${name} was not started from a scenario (patchbay scenario start ID|FILE)`);
  return runChecks(engine, name, ex.scenario);
}

/** Runs the reference solution of lab `name`'s scenario; every step runs, failures are reported. */
export async function solveExercise(engine: Engine, name: string): Promise<StepRun[]> {
  const ex = await exerciseOf(engine, name);
  if (!ex)
    throw new EngineError('not-found', `lab ${name} was not started from a scenario (patchbay scenario start ID|FILE)`);
  return runSteps(engine, name, ex.scenario.solution);
}

export interface ValidationStage {
  stage: 'fresh' | 'solution' | 'reset';
  ok: boolean;
  detail: string;
  results: ChecksRun['results'];
  steps?: StepRun[];
}

export interface ValidationProof {
  scenario: string;
  lab: string;
  sound: boolean;
  stages: ValidationStage[];
  ms: number;
}

/** After a change the kernel needs a moment (ARP retries, bridge learning): checks again, a second apart, up to this long. */
export const SETTLE_MS = 6000;

async function settle(run: () => Promise<ChecksRun>): Promise<ChecksRun> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const r = await run();
    if (r.passed === r.total || Date.now() >= deadline) return r;
    await new Promise((res) => setTimeout(res, 1000));
  }
}

const failing = (run: ChecksRun) => run.results.filter((r) => !r.pass).map((r) => r.id);

/**
 * The proof that an exercise is sound, on the real kernel, in a lab of its own (`lab`, default the
 * scenario's lab name), destroyed afterwards whatever happened. Stops at the first stage that fails.
 */
export async function validateExercise(
  engine: Engine,
  scenario: Scenario,
  opts: { lab?: string; onStage?: (s: ValidationStage) => void } = {},
): Promise<ValidationProof> {
  const started = Date.now();
  const name = opts.lab ?? scenario.lab.name;
  if (await engine.entry(name).catch(() => undefined)) {
    throw new EngineError(
      'conflict',
      `lab ${name} already exists: validate needs a lab of its own (destroy it, or pass --lab NAME)`,
    );
  }
  const stages: ValidationStage[] = [];
  const add = (s: ValidationStage) => {
    stages.push(s);
    opts.onStage?.(s);
    return s.ok;
  };
  try {
    await startExercise(engine, scenario, { lab: name });
    const fresh = await runChecks(engine, name, scenario);
    const ok1 = add({
      stage: 'fresh',
      ok: fresh.passed < fresh.total,
      detail:
        fresh.passed < fresh.total
          ? `the fresh lab fails ${failing(fresh).join(', ')}`
          : `the fresh lab already passes all ${fresh.total} checks: nothing to fix`,
      results: fresh.results,
    });
    if (ok1) {
      const steps = await runSteps(engine, name, scenario.solution);
      const solved = await settle(() => runChecks(engine, name, scenario));
      const badStep = steps.find((s) => s.code !== 0);
      const ok2 = add({
        stage: 'solution',
        ok: !badStep && solved.passed === solved.total,
        detail: badStep
          ? `solution step \`${badStep.run}\` in ${badStep.node} exited with ${badStep.code}${badStep.output ? `: ${badStep.output.split('\n')[0]}` : ''}`
          : solved.passed === solved.total
            ? `after the solution all ${solved.total} checks pass`
            : `after the solution ${failing(solved).join(', ')} still fail`,
        results: solved.results,
        steps,
      });
      if (ok2) {
        await resetExercise(engine, name);
        const again = await runChecks(engine, name, scenario);
        add({
          stage: 'reset',
          ok: again.passed < again.total,
          detail:
            again.passed < again.total
              ? `after a reset the lab fails ${failing(again).join(', ')} again`
              : 'after a reset every check still passes: the reset does not undo the solution',
          results: again.results,
        });
      }
    }
  } catch (err) {
    const stage = (['fresh', 'solution', 'reset'] as const)[stages.length] ?? 'reset';
    add({ stage, ok: false, detail: err instanceof Error ? err.message : String(err), results: [] });
  } finally {
    await engine.destroy(name).catch(() => undefined);
    await forgetExercise(engine, name).catch(() => undefined);
  }
  return {
    scenario: scenario.id,
    lab: name,
    sound: stages.length === 3 && stages.every((s) => s.ok),
    stages,
    ms: Date.now() - started,
  };
}
