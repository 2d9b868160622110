// The figures and the report of `pnpm bench:scale` (Markdown, between the bench:scale markers of
// docs/benchmarks.md): a class run's four latencies, the coordinator's overhead as ratios, the class
// sizes stepped through per agent, and from them, on paper, the lab hosts a 1,000-student course needs.

/** Issue 16's targets: the coordinator's overhead, and what a class per agent must still hold. */
export const TARGETS_OF_ISSUE = { overheadRatio: 1.2, echoP95Ms: 50, fixDashboardP95Ms: 3000 };
export type Targets = typeof TARGETS_OF_ISSUE;
/** The course the paper estimate is for. */
export const COURSE = 1000;

/** What bench:scale keeps of one class run (class-run.ts's result). */
export interface RunFigures {
  students: number;
  /** Load averages (1, 5, 15 min) at the start and at the end of the run. */
  loadStart: number[];
  loadEnd: number[];
  durationS: number;
  joinFailed: number;
  echoP95: number;
  stateP95: number;
  deltaP95: number;
  fixDashboardP95: number;
  fixDashboardP50: number;
  /** Students whose solved state reached the dashboard, of those who typed the fix. */
  solved: number;
  fixed: number;
  /** Passing runs within 1 s of the fix (from the kernel change), and the check runs of the steady phase by trigger. */
  byKernelChange: number;
  runsByTrigger: Record<string, number>;
  /** CPU share (of one core) per server process in the steady phase, and the machine's busy share. */
  cpuByRole: Record<string, number>;
  machineBusy: number;
  rssSteadyMaxMiB: number;
  errors: number;
  leftNamespaces: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function figures(r: any, loadStart: number[], loadEnd: number[], durationS: number): RunFigures {
  return {
    students: r.students,
    loadStart,
    loadEnd,
    durationS,
    joinFailed: r.join.failed,
    echoP95: r.steady.echoHi.p95,
    stateP95: r.steady.api.p95,
    deltaP95: r.steady.delta.p95,
    fixDashboardP95: r.fix.dashboard.p95,
    fixDashboardP50: r.fix.dashboard.p50,
    solved: r.fix.dashboard.n,
    fixed: r.fix.active,
    byKernelChange: r.fix.byKernelChange,
    runsByTrigger: r.steady.runs.byTrigger,
    cpuByRole: r.steady.server.cpuShareByRole,
    machineBusy: r.steady.server.machineBusy,
    rssSteadyMaxMiB: r.rss.steadyMax / 2 ** 20,
    errors: (r.errors?.length ?? 0) + (r.steady.failures?.length ?? 0) + (r.unhandledRejections?.length ?? 0),
    leftNamespaces: r.leftAfterCleanup.namespaces,
  };
}

/** Whether a class of this size holds on one agent: echo, and fix → dashboard for every student. */
export function holds(f: RunFigures, targets: Targets): { echo: boolean; fix: boolean } {
  return {
    echo: f.joinFailed === 0 && f.echoP95 < targets.echoP95Ms,
    fix: f.joinFailed === 0 && f.solved === f.fixed && f.fixDashboardP95 < targets.fixDashboardP95Ms,
  };
}

export interface ScaleResult {
  startedAt: string;
  durationS: number;
  machine: Record<string, string>;
  scenario: string;
  steadyS: number;
  budgetS: number;
  /** The targets the sizes were held to (issue 16's unless given on the command line). */
  targets: Targets;
  /** `proxied`: the single process behind a byte-level TCP proxy, the floor of a hop (runs since 2026-12-06). */
  overhead: { single: RunFigures; coordinator: RunFigures; proxied?: RunFigures };
  /** Every round of the three overhead runs (`--rounds`); `overhead` is the first. The ratios are of the medians over rounds. */
  overheadRounds?: { single: RunFigures; coordinator: RunFigures; proxied: RunFigures }[];
  steps: RunFigures[];
  /** Why the stepping stopped. */
  stopped: string;
  /** The largest size at which both targets held (and every smaller one); the largest at which echo alone held. */
  largest: { both?: number; echo?: number };
  leftNamespaces: number;
}

const ms = (x: number) => (Number.isNaN(x) ? '–' : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : x.toFixed(0));
const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
const mark = (ok: boolean) => (ok ? '✓' : '✗');
const roles = (f: RunFigures) =>
  Object.entries(f.cpuByRole)
    .map(([role, share]) => `${role} ${pct(share)}`)
    .join(', ');

/** Lab hosts of this machine's size for the course: one agent each, holding `perAgent` students. */
export const hostsFor = (perAgent: number) => Math.ceil(COURSE / perAgent);

export function scaleReport(r: ScaleResult): string {
  const TARGETS = r.targets;
  const own = JSON.stringify(TARGETS) !== JSON.stringify(TARGETS_OF_ISSUE);
  const { single: a, coordinator: b, proxied: c } = r.overhead;
  const rounds = r.overheadRounds ?? [{ single: a, coordinator: b, proxied: c ?? a }];
  const median = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  /** A latency over the rounds: the median, and each round's value when there are several. */
  const over = (role: 'single' | 'coordinator' | 'proxied', f: (x: RunFigures) => number) => {
    const xs = rounds.map((round) => f(round[role]));
    return { value: median(xs), text: `${ms(median(xs))}${xs.length > 1 ? ` (${xs.map(ms).join(' / ')})` : ''}` };
  };
  const latencies: [string, (f: RunFigures) => number][] = [
    ['terminal: `echo hi⏎` typed → `hi` printed, p95', (f) => f.echoP95],
    ['`GET /api/labs/LAB/state` p95', (f) => f.stateP95],
    ['`ip addr add` typed → `tables:delta`, p95', (f) => f.deltaP95],
    ["fix typed → the instructor's dashboard shows it solved, p95", (f) => f.fixDashboardP95],
  ];
  const perAgent = r.largest.both ?? r.largest.echo;
  // The coordinator's CPU per student, from the largest class that held (the most students measured).
  const basis = r.steps.find((f) => f.students === perAgent) ?? b;
  const coordCpu = basis.cpuByRole['coordinator'] ?? NaN;
  const lines = [
    `Run ${r.startedAt} (\`pnpm bench:scale\`, ${(r.durationS / 60).toFixed(1)} min), ${r.machine['cpus']}, ${r.machine['ram']}, kernel ${r.machine['kernel']}; ` +
      `classes of \`${r.scenario}\`, a steady phase of ${r.steadyS} s each. Load averages (1 / 5 / 15 min) are given per run: other work on the machine shows there.`,
    '',
    `**The coordinator's overhead** (target ≤ ${TARGETS.overheadRatio}×): the same class of ${a.students}, (a) on \`patchbay serve\` (its agent in-process; load ${loads(a.loadStart)}), ` +
      `(b) on \`patchbay serve --no-local-agent\` with one \`patchbay agent\` on this machine (load ${loads(b.loadStart)}):`,
    '',
    ...(c
      ? [
          '| latency (ms) | (a) one process | (c) (a) behind a TCP proxy | (b) coordinator + agent | (b)/(a) | (c)/(a): the floor of a hop | (b)/(c): beyond the floor |',
          '|---|---|---|---|---|---|---|',
          ...latencies.map(([what, f]) => {
            const [x, y, z] = [over('single', f), over('coordinator', f), over('proxied', f)];
            const [byA, floor, beyond] = [ratio(y.value, x.value), ratio(z.value, x.value), ratio(y.value, z.value)];
            return `| ${what} | ${x.text} | ${z.text} | ${y.text} | ${byA.toFixed(2)}× ${mark(byA <= TARGETS.overheadRatio)} | ${floor.toFixed(2)}× | ${beyond.toFixed(2)}× |`;
          }),
          '',
          ...(rounds.length > 1
            ? [
                `Each server ran the class ${rounds.length} times, in turn ((a), (c), (b), then again): each cell is the median over the rounds, with each round's figure in brackets; the ratios are of the medians.`,
              ]
            : []),
          '',
          `(c) is (a) with a byte-level TCP proxy process between the class and the server (\`bench/src/tcp-proxy.ts\`: no parsing, Nagle off; load ${loads(c.loadStart)}): ` +
            `what any process in between costs on this machine, the least a coordinator can add. CPU in the steady phase: (c) ${roles(c)}.`,
        ]
      : [
          '| latency (ms) | (a) one process | (b) coordinator + agent | (b)/(a) |',
          '|---|---|---|---|',
          ...latencies.map(([what, f]) => {
            const [x, y] = [f(a), f(b)];
            return `| ${what} | ${ms(x)} | ${ms(y)} | ${ratio(y, x).toFixed(2)}× ${mark(ratio(y, x) <= TARGETS.overheadRatio)} |`;
          }),
        ]),
    '',
    `Check runs in the steady phase by trigger: (a) ${JSON.stringify(a.runsByTrigger)}, (b) ${JSON.stringify(b.runsByTrigger)}; passing runs within 1 s of the fix (from the kernel change): ` +
      `(a) ${a.byKernelChange}/${a.solved}, (b) ${b.byKernelChange}/${b.solved}. CPU in the steady phase (of one core): (a) ${roles(a)}; (b) ${roles(b)} ` +
      `(the machine ${pct(a.machineBusy)} and ${pct(b.machineBusy)} busy). Server processes' RSS at most: (a) ${a.rssSteadyMaxMiB.toFixed(0)} MiB, (b) ${b.rssSteadyMaxMiB.toFixed(0)} MiB.`,
    '',
    `**The largest class per agent** (coordinator + one agent on this machine; targets: echo p95 < ${TARGETS.echoP95Ms} ms, fix → dashboard p95 < ${TARGETS.fixDashboardP95Ms / 1000} s, every student solved${own ? "; **targets given on the command line, not the issue's**" : ''}):`,
    '',
    '| students | namespaces left | echo p95 (ms) | state p95 (ms) | delta p95 (ms) | fix → dashboard p50 / p95 (ms) | solved | CPU (of one core) | load at start | holds |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.steps.map((f) => {
      const h = holds(f, TARGETS);
      return (
        `| ${f.students} | ${f.leftNamespaces} | ${ms(f.echoP95)} ${mark(h.echo)} | ${ms(f.stateP95)} | ${ms(f.deltaP95)} | ` +
        `${ms(f.fixDashboardP50)} / ${ms(f.fixDashboardP95)} ${mark(h.fix)} | ${f.solved}/${f.fixed} | ${roles(f)} | ${loads(f.loadStart)} | ${mark(h.echo && h.fix)} |`
      );
    }),
    '',
    `Stepping stopped: ${r.stopped}. Largest class per agent with both targets held: **${r.largest.both ?? 'none'}**; with echo alone: **${r.largest.echo ?? 'none'}**.`,
    '',
    perAgent
      ? `**On paper, a course of ${COURSE}:** at ${perAgent} students per agent${r.largest.both ? '' : ' (echo alone: fix → dashboard held at no size)'}, ` +
        `${hostsFor(perAgent)} lab hosts of this size (2 cores), one agent each, all students at once. ` +
        `The coordinator took ${pct(coordCpu)} of a core for ${basis.students} students, i.e. ~${((coordCpu / basis.students) * COURSE).toFixed(1)} cores for ${COURSE} ` +
        `(two replicas at least, for failover). The students per host are a lower bound (the host count an upper bound): here the agent shares the 2 cores with the coordinator and the students' process.`
      : `**On paper:** no class size held the targets on this machine, so no host count follows from this run.`,
    '',
    `After every run: ${r.leftNamespaces} namespaces of the bench's prefixes left.`,
  ];
  return lines.join('\n');
}
