// A hostile scenario file (test/hostile-scenario.yaml), validated by an instructor, changes nothing
// outside its own lab: its setup steps, solution steps and command checks run in the step sandbox
// (kernel step-sandbox.ts) with the node's network privileges only. Before and after, on the real
// kernel: sentinel files of the machine (its /tmp, /root, the engine's data directory) unread and
// unchanged, a root process alive, no namespace added, the machine's namespace and a kernel
// sysctl as they were. Prefix pbhx-.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHILD_ENV, listNamespaces, run } from '@patchbay/kernel';
import { parseScenarioText, type Scenario } from '@patchbay/scenarios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkExercise, solveExercise, startExercise, validateExercise, type ValidationProof } from './exercise.js';
import { rootSnapshot, testEngine } from './test-support.js';

const SECRET = 'pbhx-secret-8d41e0';
const TMP_SENTINEL = '/tmp/pbhx-sentinel';
const ROOT_SENTINEL = '/root/pbhx-sentinel';
const FIXTURE = join(import.meta.dirname, '../test/hostile-scenario.yaml');

const t = testEngine('pbhx-');
const DATA_SENTINEL = join(t.dataDir, 'sentinel');
const SENTINELS = [TMP_SENTINEL, ROOT_SENTINEL, DATA_SENTINEL];
const PLANTED = [
  '/tmp/pbhx-pwned',
  '/root/pbhx-pwned',
  '/etc/pbhx-pwned',
  '/usr/pbhx-pwned',
  join(t.dataDir, 'pwned'),
  join(t.dataDir, 'pwned-here'),
];

let victim: ChildProcess | undefined; // a root process in the machine's own namespace
let printkBefore = '';
let rootBefore = '';
let namespacesBefore: string[] = [];
let scenario: Scenario;
const mtimes = new Map<string, number>();

const printk = () => readFileSync('/proc/sys/kernel/printk_ratelimit', 'utf8').trim();
const shadowLines = () =>
  readFileSync('/etc/shadow', 'utf8')
    .split('\n')
    .filter((l) => /^[^:]+:[^:*!]{8,}:/.test(l) || l.startsWith('root:'));

function hostileScenario(): Scenario {
  const text = readFileSync(FIXTURE, 'utf8')
    .replaceAll('@DATA@', t.dataDir)
    .replaceAll('@SENTINEL@', TMP_SENTINEL)
    .replaceAll('@VICTIM@', String(victim!.pid))
    .replaceAll('@PRINTK@', String(Number(printkBefore) + 1));
  const { scenario: s, problems } = parseScenarioText(text);
  if (!s || problems.length) throw new Error(`the fixture does not parse: ${JSON.stringify(problems)}`);
  return s;
}

/** What a step or check printed must hold nothing it was not allowed to read. */
function expectNothingLeaked(output: string): void {
  expect(output).not.toContain(SECRET);
  for (const line of shadowLines()) expect(output).not.toContain(line);
  expect(output).not.toMatch(/PATCHBAY_SECRET/);
}

/** A namespace outside the lab that a hostile step must not be able to remove. */
const KEEP_NS = 'pbhxkeep';

async function expectMachineUnchanged(): Promise<void> {
  for (const f of SENTINELS) {
    expect(readFileSync(f, 'utf8'), f).toBe(SECRET);
    expect(statSync(f).mtimeMs, f).toBe(mtimes.get(f));
  }
  for (const f of PLANTED) expect(existsSync(f), f).toBe(false);
  expect(victim!.exitCode).toBeNull();
  expect(victim!.signalCode).toBeNull();
  expect(existsSync(`/proc/${victim!.pid}`)).toBe(true);
  expect(printk()).toBe(printkBefore);
  expect(await rootSnapshot()).toBe(rootBefore);
  expect((await listNamespaces('pbhx-evil')).length).toBe(0);
  // every namespace present before is still there: the machine's own and our sentinel (other test
  // files run alongside this one and add and remove their own `pb…` namespaces meanwhile)
  const now = new Set(await listNamespaces(''));
  expect(now.has(KEEP_NS)).toBe(true);
  expect(namespacesBefore.filter((n) => !now.has(n))).toEqual([]);
}

describe('a hostile scenario', () => {
  beforeAll(async () => {
    await t.cleanup(); // leftovers of an interrupted run (and the data directory: made again)
    mkdirSync(t.dataDir, { recursive: true, mode: 0o700 });
    process.env['PATCHBAY_SECRET'] = SECRET; // the engine's environment: never visible to a step
    for (const f of SENTINELS) {
      writeFileSync(f, SECRET, { mode: 0o644 });
      mtimes.set(f, statSync(f).mtimeMs);
    }
    victim = spawn('sleep', ['1000'], { env: { ...CHILD_ENV }, stdio: 'ignore' });
    printkBefore = printk();
    rootBefore = await rootSnapshot();
    await run('ip', ['netns', 'add', KEEP_NS]);
    namespacesBefore = (await listNamespaces('')).filter((n) => !n.startsWith('pb'));
    scenario = hostileScenario();
  });

  afterAll(async () => {
    if (victim?.pid && victim.exitCode === null) victim.kill('SIGKILL');
    // had anything escaped, put the machine back (the assertions above have failed already)
    if (printk() !== printkBefore) writeFileSync('/proc/sys/kernel/printk_ratelimit', printkBefore);
    if ((await run('ip', ['-br', 'addr', 'show', 'dev', 'lo'])).stdout.includes('198.51.100.77'))
      await run('ip', ['addr', 'del', '198.51.100.77/32', 'dev', 'lo']);
    for (const f of [...SENTINELS, ...PLANTED]) rmSync(f, { force: true });
    await run('ip', ['netns', 'del', KEEP_NS]);
    await t.cleanup();
    delete process.env['PATCHBAY_SECRET'];
    expect(await listNamespaces('pbhx-')).toEqual([]);
  }, 60_000);

  let proof: ValidationProof;

  it('is validated as a sound exercise, as an instructor would', async () => {
    proof = await validateExercise(t.engine, scenario);
    const why = proof.stages.map((s) => `${s.stage}: ${s.ok ? 'ok' : 'FAILED'} — ${s.detail}`).join('\n');
    expect(
      proof.stages.map((s) => s.stage),
      why,
    ).toEqual(['fresh', 'solution', 'reset']);
    expect(proof.sound, why).toBe(true);
    // the attempts ran (in the checks of every stage, and the solution's steps) and read nothing
    const solution = proof.stages.find((s) => s.stage === 'solution')!;
    expect(solution.steps!.map((s) => s.code)).toEqual([0, 0, 0]);
    for (const s of solution.steps!.slice(0, 2)) {
      expect(s.output).toContain('pbhx-attempts-ran');
      expectNothingLeaked(s.output);
    }
    for (const stage of proof.stages)
      for (const r of stage.results.filter((r) => r.id.startsWith('attempts-'))) {
        expect(r.pass, `${stage.stage} ${r.id}: ${r.reason}`).toBe(true);
        expectNothingLeaked(`${r.reason}\n${r.seen}`);
      }
    expect(await listNamespaces('pbhx-')).toEqual([]); // validation's lab is gone
  }, 180_000);

  it('changed nothing outside its lab', async () => {
    await expectMachineUnchanged();
  });

  it("each attempt failed, in a netns node's sandbox and in a host's (what the setup steps printed)", async () => {
    const started = await startExercise(t.engine, scenario, { lab: 'hostile-look' });
    try {
      expect(started.setup.map((s) => [s.node, s.code])).toEqual([
        ['a', 0],
        ['sw', 0],
        ['h', 0],
      ]);
      for (const s of started.setup) {
        const out = s.output;
        expectNothingLeaked(out);
        expect(out, s.node).toContain('pbhx-attempts-ran');
        expect(out).toMatch(/^CapEff:\s+0000000000003000$/m); // NET_ADMIN and NET_RAW, nothing else
        expect(out).toMatch(/^NoNewPrivs:\s+1$/m);
        expect(out).toMatch(/uid=(1000|299999)\(student\)/);
        expect(out).toMatch(/cat: \/etc\/shadow: No such file or directory/);
        expect(out).toMatch(/ls: cannot access '\/run\/netns': No such file or directory/);
        expect(out).toMatch(/kill: .*No such process/);
        expect(out).toMatch(/ip netns add|mount/);
      }
      expect(started.setup[0]!.output).toMatch(/uid=1000\(student\)/); // a: the student of its own userns
      expect(started.setup[1]!.output).toMatch(/uid=299999\(student\)/); // sw: the init-userns sandbox
      const checks = await checkExercise(t.engine, 'hostile-look');
      expect(checks.results.filter((r) => r.id.startsWith('attempts-')).every((r) => r.pass)).toBe(true);
      for (const r of checks.results) expectNothingLeaked(`${r.reason}\n${r.seen}`);
      const solved = await solveExercise(t.engine, 'hostile-look');
      for (const s of solved) expectNothingLeaked(s.output);
      await expectMachineUnchanged();
    } finally {
      await t.engine.destroy('hostile-look').catch(() => undefined);
    }
  }, 120_000);
});
