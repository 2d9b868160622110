// What `pnpm bench:hostile` looks at and says: the machine before and after (links of the root
// namespace, namespaces of the prefix, processes of the attacks), and the report (Markdown, between
// the bench:hostile markers of docs/benchmarks.md): the two runs side by side with their ratio.
import { readdirSync, readFileSync } from 'node:fs';
import { sh } from './util.js';

export interface MachineState {
  rootLinks: string[];
  namespaces: string[];
  usernsPins: number;
  /** Processes whose command line is one of the attacks' (their markers below). */
  attackProcesses: number;
  processes: number;
}

const ATTACK_MARKERS = ['AF_PACKET', 'F(){', "b'x' *", 'ping -q -i 0.002'];

export function machineState(prefix: string): MachineState {
  const links = sh('ip', ['-o', 'link', 'show']).stdout;
  const rootLinks = links
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((x): x is string => !!x)
    .sort();
  const namespaces = sh('ip', ['netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(prefix));
  let usernsPins = 0;
  try {
    usernsPins = readdirSync('/run/patchbay/userns').filter((n) => n.startsWith(prefix)).length;
  } catch {
    // no pins folder
  }
  let attackProcesses = 0;
  let processes = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    processes++;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (ATTACK_MARKERS.some((m) => cmd.includes(m))) attackProcesses++;
    } catch {
      // exited meanwhile
    }
  }
  return { rootLinks, namespaces, usernsPins, attackProcesses, processes };
}

const ms = (x: number | undefined) =>
  x === undefined || Number.isNaN(x) ? '–' : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : x.toFixed(0);
const mib = (b: number | undefined) => (b === undefined ? '–' : (b / 2 ** 20).toFixed(0));
const fmt = (unit: string, x: number | undefined) =>
  unit === 'MiB' ? mib(x) : unit === 'n' ? String(x ?? '–') : ms(x);
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !a || Number.isNaN(a) || Number.isNaN(b) ? undefined : b / a;
const rf = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(2)}×`);

const pct = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(0)} %`);

function cpuText(server: { byCommand?: { command: string; cpuShare: number }[] } | undefined): string {
  if (!server?.byCommand?.length) return '– (no figures)';
  return server.byCommand.map((c) => `${c.command} ${pct(c.cpuShare)}`).join(', ');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const rssMax = (r: any): number => Math.max(r.rss.joinMax, r.rss.connectMax, r.rss.steadyMax, r.rss.fixMax);

/** The figures compared: name, unit, and where they are in a run's result. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const FIGURES: [string, (r: any) => number | undefined, 'ms' | 'MiB' | 'n'][] = [
  ['terminal echo p95 (`echo hi⏎` → `hi`)', (r) => r.steady.echoHi.p95, 'ms'],
  ['terminal keystrokes → first output p95', (r) => r.steady.echoFirst.p95, 'ms'],
  ['tables delta p95 (`ip addr add` → `tables:delta`)', (r) => r.steady.delta.p95, 'ms'],
  ['fix → dashboard p95', (r) => r.fix.dashboard.p95, 'ms'],
  ['`GET …/state` p95', (r) => r.steady.api.p95, 'ms'],
  ['server event-loop delay p99, steady phase', (r) => r.steady.server.loopDelayP99Ms, 'ms'],
  ['server RSS, at most', rssMax, 'MiB'],
  [
    "processes under the server, at most (its helpers, the students' shells and all they run)",
    (r) => r.rss.helpers.count,
    'n',
  ],
  ['their RSS summed, at most', (r) => r.rss.helpers.rss, 'MiB'],
];
/** The figures the issue holds to ≤ 1.5×. */
const TARGETED = new Set([0, 2, 3]);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function figures(r: any) {
  const a = r.runs.calm;
  const b = r.runs.hostile;
  return FIGURES.map(([name, get, unit], i) => ({
    name,
    unit,
    calm: a ? get(a) : undefined,
    hostile: b ? get(b) : undefined,
    ratio: a && b ? ratio(get(a), get(b)) : undefined,
    targeted: TARGETED.has(i),
  }));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function hostileReport(r: any): string {
  const b = r.runs.hostile;
  const extra = b?.extra ?? {};
  const rows = figures(r).map(
    (f) =>
      `| ${f.name} | ${fmt(f.unit, f.calm)} | ${fmt(f.unit, f.hostile)} | ${rf(f.ratio)}${f.targeted ? (f.ratio !== undefined && f.ratio <= 1.5 ? ' ✓' : ' ✗') : ''} |`,
  );
  const flood = extra.flood as
    | { requests: number; seconds: number; byKind: Record<string, Record<string, number>>; joinsAccepted: number }
    | undefined;
  const floodText = flood
    ? `${flood.requests} requests in ${flood.seconds.toFixed(0)} s (${(flood.requests / flood.seconds).toFixed(0)}/s); ` +
      Object.entries(flood.byKind)
        .map(
          ([k, v]) =>
            `${k}: ${Object.entries(v)
              .map(([s, n]) => `${n} × ${s}`)
              .join(', ')}`,
        )
        .join('; ') +
      `. Joins the server accepted: ${flood.joinsAccepted}.`
    : 'no figures (the flooding client did not answer).';
  const loop = extra.captureLoop as { started: number; refused: number; refusals: Record<string, number> } | undefined;
  const st = extra.status?.max as { memoryBytes: number; diskBytes: number } | undefined;
  const clean = r.machine.clean;
  const m = (b ?? r.runs.calm)?.machine;
  return [
    `Run ${r.startedAt} (\`pnpm bench:hostile\`${r.students < 40 ? `, HOSTILE_STUDENTS=${r.students}` : ''}), ${m?.cpus ?? '?'}, ${m?.ram ?? '?'}, kernel ${m?.kernel ?? '?'}; ` +
      `${r.students} students in a session of \`link-down\`, twice on a fresh server with its default limits; the whole run took ${(r.durationS / 60).toFixed(1)} min. ` +
      `Measured: the ${r.students - 4} students other than ${Object.entries(r.hostile as Record<string, number>)
        .map(([k, v]) => `${k} (${v})`)
        .join(', ')}, in both runs.`,
    '',
    '| figure | (a) no hostile | (b) hostile | (b)/(a) |',
    '|---|---|---|---|',
    ...rows,
    '',
    `**The attacks** (run b, each bounded by itself, whatever the server enforces${r.attacks && r.attacks.length < 5 ? `; only ${r.attacks.join(', ')} in this run` : ''}): ` +
      `fork bomb of depth ${r.attack.forkDepth} started again and again (at most ~${2 * 2 ** (r.attack.forkDepth + 2)} processes at a time), ` +
      `memory hog of ${r.attack.hogMiB} MiB (python3, started again if killed), MAC flood of ${r.attack.macs} random source MACs (its bridge had learned ${extra.fdb ?? '–'} addresses when the attacks ended), ` +
      `capture loop (${
        loop
          ? `${loop.started} captures started, ${loop.refused} refused${
              Object.keys(loop.refusals).length
                ? `: ${Object.entries(loop.refusals)
                    .map(([k, n]) => `${n} × "${k}"`)
                    .join('; ')}`
                : ''
            }`
          : 'no figures'
      }) ` +
      `with a 500/s ping of 1400 bytes filling each capture; the server's captures held at most ${st ? `${mib(st.memoryBytes)} MiB in memory and ${mib(st.diskBytes)} MiB in files` : '– (this server has no GET /api/status)'}. ` +
      `The flooding client (from 127.0.0.2, ${r.flood.concurrency} at a time): ${floodText}`,
    '',
    `**CPU hogs demoted** (a lab held at its CPU ceiling for seconds goes to the idle CPU class, docs/isolation.md): ` +
      `(a) ${demotedText(r.runs.calm?.extra?.status)}; (b) ${demotedText(b?.extra?.status)} (the hostile four are students ${Object.values(r.hostile).join(', ')}).`,
    '',
    `**Where the CPU went in the steady phase** (share of one core, by command: the server's helpers and the students' processes, the commands the server reaped, the kernel's threads; other work on the machine is not counted): ` +
      `(a) ${cpuText(r.runs.calm?.steady?.server)}; (b) ${cpuText(b?.steady?.server)}; the server's own thread: (a) ${pct(r.runs.calm?.steady?.server?.cpuShare)}, (b) ${pct(b?.steady?.server?.cpuShare)}.`,
    '',
    `**The machine afterwards:** ${clean.ok ? 'clean' : '**not clean**'} — root namespace links ${clean.rootLinksAdded.length || clean.rootLinksRemoved.length ? `changed (added ${clean.rootLinksAdded.join(', ') || 'none'}, removed ${clean.rootLinksRemoved.join(', ') || 'none'})` : 'as before'}, ` +
      `${clean.namespacesLeft.length} \`pbho-\` namespaces left, ${r.machine.after.usernsPins} user-namespace pins, ${clean.attackProcessesLeft} attack processes left ` +
      `(processes on the machine: ${r.machine.before.processes} before, ${r.machine.after.processes} after, other work included).`,
    ...(b?.unhandledRejections?.length || r.runs.calm?.unhandledRejections?.length
      ? [
          '',
          `Unhandled rejections in the server: ${r.runs.calm?.unhandledRejections?.length ?? 0} in (a), ${b?.unhandledRejections?.length ?? 0} in (b).`,
        ]
      : []),
  ].join('\n');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function demotedText(status: any): string {
  if (!status || status.demotions === undefined) return '– (no figures)';
  const who: number[] = status.demotedStudents ?? [];
  return `${status.demotions} demotion${status.demotions === 1 ? '' : 's'}${who.length ? `, students ${who.join(', ')}` : ''}`;
}
