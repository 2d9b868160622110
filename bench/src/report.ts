// The Markdown tables of a run, and writing them into the doc between the bench:star markers.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { BaselineMode } from './baseline.js';
import { STAGE_LABELS, otherMs, type ApplyRecord, type ProcessCounts, type RunRecord } from './engine-run.js';
import { WAIT_MS, type IncMode, type IncReport } from './incremental.js';
import type { Options } from './options.js';
import type { FixedCosts } from './processes.js';
import { ROOT, fmtMs, fmtS, msf, sec, sh, stat } from './util.js';

/** Research baseline (realization-baseline.md), `netlink` mode setup medians, seconds: the kernel floor. */
const KERNEL_FLOOR_S: Record<number, number> = { 10: 0.017, 50: 0.067, 200: 0.351, 1000: 5.717 };
const MARK_START = '<!-- bench:star:start -->';
const MARK_END = '<!-- bench:star:end -->';
/**
 * Issue 17's targets for a running N=200 lab in watch mode, as a p95 of the wall time: a one-link
 * change (an address, a link down or up; the no-op too) under 10 ms, adding or removing a node under 30 ms.
 */
const targetMs = (change: string): number => (change.startsWith('(c') ? 30 : 10);
const p95 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.95 * s.length))] ?? NaN;
};

export interface SizeReport {
  n: number;
  engine: RunRecord[];
  baselines: Partial<Record<BaselineMode, RunRecord[]>>;
}

export interface RunInfo {
  startedAt: Date;
  durationS: number;
  loadStart: number[];
  fixed?: FixedCosts;
}

export function machineFacts(): Record<string, string> {
  const ipv = sh('ip', ['-V']).stdout.trim();
  const cpu = cpus()[0]?.model ?? '?';
  return {
    cpus: `${cpus().length} (\`nproc\`=${sh('nproc', []).stdout.trim()}, ${cpu})`,
    ram: `${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    kernel: release(),
    iproute2: ipv.replace(/^ip utility, /, ''),
    node: process.version,
    engine: engineRevision(),
  };
}

/** The commit the engine was built from, and whether its packages had uncommitted changes. */
function engineRevision(): string {
  const head = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'packages'], { encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? ' + uncommitted changes in packages/' : ''}`;
}

const ratio = (a: number, b: number) => (a / b).toFixed(2);
/** "total (observe+execute+verify)" over `recs`; a part that varies between records shows "min–max". */
function fmtProcs(recs: readonly (ApplyRecord | undefined)[]): string {
  const ps = recs.map((a) => a?.processes).filter((p): p is ProcessCounts => p !== undefined);
  if (ps.length === 0) return '–';
  const part = (k: keyof ProcessCounts) => {
    const v = ps.map((p) => p[k]);
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    return lo === hi ? String(lo) : `${lo}–${hi}`;
  };
  return `${part('total')} (${part('observe')}+${part('execute')}+${part('verify')})`;
}

/** "configure 8.1 (1)" per stage seen in `recs`: median ms, processes of the first record. */
function stageCells(recs: readonly ApplyRecord[], labels: readonly string[]): string[] {
  return labels.map((label) => {
    const v = recs.map((a) => a.stages.find((x) => x.stage === label));
    const ms = stat(v.map((x) => x?.ms ?? NaN).filter((x) => !Number.isNaN(x))).median;
    const p = v.find((x) => x)?.processes;
    return p === undefined ? '–' : `${msf(ms)} (${p})`;
  });
}

/** Stage labels that occur in any of `recs`, in execution order. */
const stagesIn = (recs: readonly ApplyRecord[]) =>
  STAGE_LABELS.filter((l) => recs.some((a) => a.stages.some((s) => s.stage === l)));

function setupTables(L: string[], sizes: SizeReport[], bl: BaselineMode[]): void {
  L.push('### Setup and teardown (seconds, median [min–max])', '');
  const head = [
    'N',
    'runs',
    'engine apply',
    ...bl.map((b) => `hand-written \`${b}\``),
    ...bl.map((b) => `ratio engine/${b}`),
    'engine destroy cmd / complete',
    ...bl.map((b) => `\`${b}\` destroy cmd / complete`),
    'kernel floor (research `netlink`)',
  ];
  L.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const s of sizes) {
    const e = stat(s.engine.map((r) => r.applyMs));
    const bs = bl.map((b) => stat((s.baselines[b] ?? []).map((r) => r.applyMs)));
    const dc = (rs: RunRecord[]) =>
      `${sec(stat(rs.map((r) => r.destroyCmdMs)).median)} / ${sec(stat(rs.map((r) => r.destroyCompleteMs)).median)}`;
    const cells = [
      String(s.n),
      String(s.engine.length),
      fmtS(e),
      ...bs.map(fmtS),
      ...bs.map((x) => `**${ratio(e.median, x.median)}**`),
      dc(s.engine),
      ...bl.map((b) => dc(s.baselines[b] ?? [])),
      KERNEL_FLOOR_S[s.n]?.toFixed(3) ?? '–',
    ];
    L.push(`| ${cells.join(' | ')} |`);
  }
  L.push('', "### Where the engine's apply time goes (ms, medians over the runs)", '');
  L.push(
    "`observe` = validate + journal read + reading the lab's existing namespaces (none for a new lab); `plan` = compile + diff + plan; `execute` = the kernel driver, then per stage (↳, processes in brackets); `verify` = re-reading what the configure batches did not read back + diff; `other` = journal writes and the rest. Processes = counted processes the engine started (observe + execute + verify). Readiness = first ping from the first to the last leaf, after apply returned.",
  );
  L.push('');
  const labels = stagesIn(sizes.flatMap((s) => s.engine.map((r) => r.apply!)));
  const head2 = [
    'N',
    'wall',
    'observe',
    'plan',
    'execute',
    ...labels.map((l) => `↳ ${l}`),
    'verify',
    'other',
    'processes',
    `ready ms (engine / ${bl.join(' / ')})`,
  ];
  L.push(`| ${head2.join(' | ')} |`, `|${head2.map(() => '---').join('|')}|`);
  for (const s of sizes) {
    const recs = s.engine.map((r) => r.apply!);
    const med = (f: (a: ApplyRecord) => number) => msf(stat(recs.map(f)).median);
    const ready = [s.engine, ...bl.map((b) => s.baselines[b] ?? [])]
      .map((rs) => msf(stat(rs.map((r) => r.readyMs)).median))
      .join(' / ');
    const cells = [
      String(s.n),
      med((a) => a.wallMs),
      med((a) => a.timings.observeMs),
      med((a) => a.timings.planMs),
      med((a) => a.timings.executeMs),
      ...stageCells(recs, labels),
      med((a) => a.timings.verifyMs),
      med(otherMs),
      fmtProcs(recs),
      ready,
    ];
    L.push(`| ${cells.join(' | ')} |`);
  }
  L.push('');
  const ll = sizes
    .map(
      (s) =>
        `N=${s.n}: engine ${s.engine[0]?.linkLocal ?? '–'}, ${bl.map((b) => `${b} ${s.baselines[b]?.[0]?.linkLocal ?? '–'}`).join(', ')}`,
    )
    .join('; ');
  L.push(
    `Every run was checked after setup (bridge up, exactly N veth ports enslaved and up with carrier, every leaf's lo up and eth0 up with its address) and pinged first leaf → last leaf. IPv6 link-local addresses on leaves' eth0 (first run): ${ll}.`,
  );
}

const MODE_TITLE: Record<IncMode['mode'], string> = {
  'one-shot': 'one-shot engine (as the CLI: reads every namespace of the lab before planning)',
  watch: 'long-lived engine (`watch: true`, as the server)',
};

/** The first untimed round's walls, for the table's intro. */
function coldText(m: IncMode): string {
  const walls = (m.cold ?? []).map((r) => `${r.change.replace(/ \(.*\)$/, '')} ${msf(r.records[0]?.wallMs ?? NaN)}`);
  return walls.length ? `; the very first round, cold: ${walls.join(', ')} ms` : '';
}

function incTable(L: string[], inc: IncReport, m: IncMode): void {
  L.push('', `### Incremental changes on the running N=${inc.n} lab: ${MODE_TITLE[m.mode]}`, '');
  const intro =
    m.mode === 'watch'
      ? `One \`Engine({ watch: true })\` created the lab (${sec(m.initialApplyMs)} s, not in the table) and made every change. The first apply after creating the lab starts watching every namespace and reads each once: ${fmtProcs([m.firstAfterCreate])} processes, ${msf(m.firstAfterCreate?.wallMs ?? NaN)} ms (not in the table).`
      : `The lab was first applied in ${sec(m.initialApplyMs)} s (not in the table).`;
  L.push(
    `ms, median [min–max] over ${inc.reps} repetitions, after ${inc.warmup} untimed rounds of the same changes (V8 optimizes the engine's code over its first applies, as in a server that has been up a while${coldText(m)}). ${intro} Each row is one \`engine.apply\` of the whole lab with one thing changed; the bench waits ${WAIT_MS} ms before each apply so that the kernel's change events for the previous one have arrived. Processes: observe + execute + verify.`,
    '',
  );
  const recs = m.results.flatMap((r) => r.records);
  const labels = stagesIn(recs);
  const watch = m.mode === 'watch';
  const head = [
    'change',
    'wall',
    ...(watch ? ['p95 (target)'] : []),
    'observe',
    'plan',
    'execute',
    ...labels.map((l) => `↳ ${l}`),
    'verify',
    'other',
    'ops',
    'processes',
  ];
  L.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const r of m.results) {
    const s = (f: (a: ApplyRecord) => number) => fmtMs(stat(r.records.map(f)));
    const wall = stat(r.records.map((a) => a.wallMs));
    const target = targetMs(r.change);
    const walls = r.records.map((a) => a.wallMs);
    const high = p95(walls);
    const under = walls.filter((w) => w < target).length;
    const met = `${msf(high)} (< ${target}: ${high < target ? '**yes**' : '**no**'}, ${under}/${walls.length} under)`;
    const cells = [
      r.change,
      `**${fmtMs(wall)}**`,
      ...(watch ? [met] : []),
      s((a) => a.timings.observeMs),
      s((a) => a.timings.planMs),
      s((a) => a.timings.executeMs),
      ...stageCells(r.records, labels),
      s((a) => a.timings.verifyMs),
      s(otherMs),
      String(r.records[0]!.ops),
      fmtProcs(r.records),
    ];
    L.push(`| ${cells.join(' | ')} |`);
  }
  if (m.mode === 'watch' && m.raw) {
    const r = m.raw;
    const one = (xs: number[]) => `${fmtMs(stat(xs))} (p95 ${msf(p95(xs))})`;
    L.push(
      '',
      `The raw way to (b) and (b'), in the same run, on the same link (the second leaf's \`eth0\`), ${r.netlink.down.length} times each, ${WAIT_MS} ms apart (\`bench/helpers/raw-link.py\`): ` +
        `through one warm rtnetlink socket in the leaf's namespace (the kernel alone), down ${one(r.netlink.down)} ms, up ${one(r.netlink.up)} ms; ` +
        `as one \`ip link set\` process each (a hand-written script), down ${one(r.ip.down)} ms, up ${one(r.ip.up)} ms.`,
    );
  }
  if (m.mode === 'one-shot' && inc.observeAllMs) {
    L.push(
      '',
      `For reference, \`observeNamespaces\` over all ${inc.n + 1} namespaces of the lab alone: ${fmtMs(inc.observeAllMs)} ms.`,
    );
  }
}

export function report(sizes: SizeReport[], inc: IncReport | undefined, o: Options, info: RunInfo): string {
  const m = machineFacts();
  const la = (x: number[]) => x.map((v) => v.toFixed(2)).join(' ');
  const L: string[] = [];
  L.push(
    `Run ${info.startedAt.toISOString().replace(/\.\d+Z$/, 'Z')} (${info.durationS.toFixed(0)} s in all) on: ${m.cpus}, ${m.ram} RAM, kernel \`${m.kernel}\`, ${m.iproute2}, Node ${m.node}; engine built from ${m.engine}. Engine concurrency ${o.concurrency}. Load average (1/5/15 min) at start ${la(info.loadStart)}, at end ${la(loadavg())}.`,
  );
  if (info.fixed) {
    const f = info.fixed;
    L.push(
      '',
      `Per-process costs on this machine (medians): a command in a namespace through the engine's spawner helper ${msf(f.processViaSpawnerMs)} ms; the same as \`nsenter … ip\` spawned from Node (the engine before the helper) ${msf(f.processDirectMs)} ms; starting the helper (paid once per engine process, before the timings here) ${msf(f.spawnerStartMs)} ms.`,
    );
  }
  L.push('');
  setupTables(L, sizes, o.baselines);
  if (inc) for (const m2 of inc.modes) incTable(L, inc, m2);
  return L.join('\n');
}

export function writeDoc(path: string, block: string): void {
  const section = `${MARK_START}\n${block}\n${MARK_END}`;
  let text: string;
  if (existsSync(path)) {
    const old = readFileSync(path, 'utf8');
    const a = old.indexOf(MARK_START);
    const b = old.indexOf(MARK_END);
    text =
      a >= 0 && b > a
        ? old.slice(0, a) + section + old.slice(b + MARK_END.length)
        : `${old.trimEnd()}\n\n## Results\n\n${section}\n`;
  } else {
    mkdirSync(dirname(path), { recursive: true });
    text = `# Benchmarks\n\nGenerated by \`pnpm bench\` (bench/src/star.ts).\n\n## Results\n\n${section}\n`;
  }
  writeFileSync(path, text);
}
