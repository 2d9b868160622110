// `pnpm bench:class`: a class of 40 students in a real class session on one server, over loopback
// (the run itself: class-run.ts). Results in bench/results/class-latest.json and docs/benchmarks.md.
// `--quick`: 8 students, a 10 s steady phase, results in bench/results/class-quick.json, no doc.
// Another scenario than `link-down` writes bench/results/class-<its file or id>.json and no doc
// section (the doc's generated section stays the `link-down` class; its analysis quotes the others).
// `--students N`, `--seconds S` (steady phase), `--spread S` (fixes typed over S s), `--scenario ID`
// (a built-in one) or `--scenario FILE` (a scenario file: bench/scenarios/link-down-six.yaml is the
// 6-node class), `--floor-reps N` (repetitions of the kernel's floor for the fix, fix-floor.ts; 0: none).
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { classPlan } from './class-lab.js';
import { loadScenario, runClass } from './class-run.js';
import { fixFloor } from './fix-floor.js';
import { report } from './class-report.js';
import { argNum, argStr, ROOT, writeBenchSection } from './util.js';

const PREFIX = 'pbcl-';
const DEFAULT_SCENARIO = 'link-down';
const quick = process.argv.includes('--quick');
const scenario = argStr('--scenario', DEFAULT_SCENARIO);
const result = await runClass({
  prefix: PREFIX,
  quick,
  students: argNum('--students', quick ? 8 : 40),
  steadyS: argNum('--seconds', quick ? 10 : 30),
  spreadS: argNum('--spread', 5),
  scenario,
});
// The kernel's floor under fix → checks green, in the same run (fix-floor.ts), after the class.
const { scenario: loaded } = loadScenario(scenario);
const floorReps = argNum('--floor-reps', quick ? 3 : 12);
console.log(`the kernel's floor for the fix: ${floorReps} repetitions…`);
result.fixFloor = await fixFloor(loaded, classPlan(loaded).ping, floorReps, 'pbclf-');
const other = scenario !== DEFAULT_SCENARIO ? basename(scenario).replace(/\.ya?ml$/, '') : undefined;
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(
  join(ROOT, `bench/results/class-${quick ? 'quick' : (other ?? 'latest')}.json`),
  JSON.stringify(result, null, 2) + '\n',
);
const md = report(result, PREFIX);
console.log(md);
if (!quick && !other) writeBenchSection('class', md);
