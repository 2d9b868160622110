// `patchbay scenario list | start | check | solve | validate` (CLI.md): exercises from the built-in
// library (by id) or from a file. Exit codes: list 0; start 0 · 1 failed · 2 invalid; check 0 all
// pass · 3 some fail · 1; solve 0 · 1 (a step failed); validate 0 sound · 2 invalid · 3 unsound.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import {
  Engine,
  EngineError,
  checkExercise,
  solveExercise,
  startExercise,
  validateExercise,
  type ValidationStage,
} from '@patchbay/engine';
import { formatScenarioProblem, parseScenarioText, type CheckResult, type Scenario } from '@patchbay/scenarios';
import { brokenBuiltins, builtinScenario, builtinScenarios } from '@patchbay/scenarios/library';
import { NAME_RE } from '@patchbay/topology';
import { SCENARIO_USAGE, type Parsed } from './args.js';

type Print = (s: string) => void;

/** A built-in id, or a scenario file (a lab given as a path is read relative to it). */
async function loadScenario(ref: string): Promise<Scenario> {
  const builtin = builtinScenario(ref);
  if (builtin && !ref.includes('/') && !ref.endsWith('.yaml') && !ref.endsWith('.json')) return builtin.scenario;
  let text: string;
  try {
    text = await readFile(ref, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EngineError(
      'invalid',
      code === 'ENOENT'
        ? `${ref} is neither a built-in scenario (patchbay scenario list) nor a file`
        : `cannot read ${ref}: ${code ?? (e as Error).message}`,
    );
  }
  const base = dirname(resolve(ref));
  const { scenario, problems } = parseScenarioText(text, { readLab: (p) => readFileSync(resolve(base, p), 'utf8') });
  if (!scenario || problems.length) {
    throw new EngineError(
      'invalid',
      `${ref}: ${problems.length} problem(s), nothing was started`,
      problems.map((p) => ({ ...p, message: p.message })),
    );
  }
  return scenario;
}

function labOption(p: Parsed): string | undefined {
  const lab = p.options.get('lab');
  if (lab === undefined) return undefined;
  if (!NAME_RE.test(lab))
    throw new EngineError('invalid', `--lab ${JSON.stringify(lab)} is not a lab name ([a-z][a-z0-9-]{0,23})`);
  return lab;
}

const mark = (r: CheckResult) => (r.pass ? 'PASS' : 'FAIL');
const resultLine = (r: CheckResult) =>
  `  ${mark(r)}  ${r.id}: ${r.title}${r.pass ? '' : `\n        ${r.reason}${r.seen ? ` — seen: ${r.seen}` : ''}`}`;

export async function cmdScenario(engine: Engine, p: Parsed, out: Print, err: Print): Promise<number> {
  const sub = p.command?.replace(/^scenario /, '');
  const [arg = ''] = p.positional; // the grammar (args.ts) guarantees each subcommand's argument
  switch (sub) {
    case 'list': {
      const all = builtinScenarios();
      for (const b of brokenBuiltins())
        err(`patchbay: built-in ${b.file} is broken and left out: ${b.problems.join('; ')}`);
      if (p.flags.has('json')) {
        out(
          JSON.stringify(
            all.map(({ scenario: s }) => ({
              id: s.id,
              title: s.title,
              level: s.level,
              summary: s.summary,
              tags: s.tags ?? [],
              checks: s.checks.length,
              hints: s.hints?.length ?? 0,
            })),
            null,
            2,
          ),
        );
        return 0;
      }
      const w = Math.max(...all.map((s) => s.id.length));
      for (const { scenario: s } of all)
        out(`${s.id.padEnd(w)}  ${s.level.padEnd(12)}  ${s.title}${s.tags?.length ? `  [${s.tags.join(', ')}]` : ''}`);
      return 0;
    }
    case 'start': {
      const scenario = await loadScenario(arg);
      const started = await startExercise(engine, scenario, { lab: labOption(p) });
      out(`${started.lab}: started "${scenario.title}" (${scenario.level}), ${started.apply.ops.length} operation(s)`);
      out('');
      out(scenario.instructions.trim());
      out('');
      out(`check your work: patchbay scenario check ${started.lab}`);
      return 0;
    }
    case 'check': {
      const name = arg;
      const run = await checkExercise(engine, name);
      if (p.flags.has('json')) out(JSON.stringify({ lab: name, ...run }, null, 2));
      else {
        for (const r of run.results) out(resultLine(r));
        out(`${name}: ${run.passed}/${run.total} checks pass (${run.ms} ms)`);
      }
      return run.passed === run.total ? 0 : 3;
    }
    case 'solve': {
      const name = arg;
      const steps = await solveExercise(engine, name);
      for (const s of steps) {
        out(`  [${s.node}] $ ${s.run}${s.code === 0 ? '' : `   (exit ${s.code})`}`);
        if (s.output) out(s.output.replace(/^/gm, '      '));
      }
      const failed = steps.filter((s) => s.code !== 0);
      if (failed.length) err(`patchbay: ${failed.length} solution step(s) failed`);
      return failed.length ? 1 : 0;
    }
    case 'validate': {
      const scenario = await loadScenario(arg);
      const json = p.flags.has('json');
      const proof = await validateExercise(engine, scenario, {
        lab: labOption(p),
        onStage: json
          ? undefined
          : (s: ValidationStage) => {
              out(`${s.ok ? 'ok  ' : 'FAIL'}  ${s.stage}: ${s.detail}`);
              if (!s.ok) for (const r of s.results) out(resultLine(r));
              for (const st of s.steps ?? [])
                if (st.code !== 0)
                  out(
                    `        [${st.node}] $ ${st.run} → exit ${st.code}${st.output ? `: ${st.output.split('\n')[0]}` : ''}`,
                  );
            },
      });
      if (json) out(JSON.stringify(proof, null, 2));
      else out(`${scenario.id}: ${proof.sound ? 'sound' : 'NOT sound'} (${(proof.ms / 1000).toFixed(1)} s)`);
      return proof.sound ? 0 : 3;
    }
    default:
      err(`patchbay: usage: ${SCENARIO_USAGE}`);
      return 2;
  }
}

export { formatScenarioProblem };
