// The report of `pnpm bench:class` (Markdown, between the bench:class markers of docs/benchmarks.md).
import { EXERCISE_HUB_DEFAULTS } from '@patchbay/server';
import type { HelperSample } from './class-procs.js';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}
export const dist = (xs: number[]) => ({
  n: xs.length,
  p50: pct(xs, 50),
  p95: pct(xs, 95),
  p99: pct(xs, 99),
  max: pct(xs, 100),
});
type Dist = ReturnType<typeof dist>;
const ms = (x: number | undefined) =>
  x === undefined || Number.isNaN(x) ? '–' : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : x.toFixed(0);
const s1 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : (x / 1000).toFixed(1));
const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const pctf = (x: number) => `${(x * 100).toFixed(0)} %`;

function row(what: string, x: Dist): string {
  return `| ${what} | ${x.n} | ${ms(x.p50)} | ${ms(x.p95)} | ${ms(x.p99)} | ${ms(x.max)} |`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function serverLine(srv: any, client?: any): string {
  const others = Math.max(0, srv.machineBusy * srv.cpus - srv.cpuShare - srv.helpersCpuShare - (client?.cpuShare ?? 0));
  return (
    `${pctf(srv.cpuShare)} of one core (its helper processes, with the commands they ran and reaped: ${pctf(srv.helpersCpuShare)}` +
    `${client ? `; the students' process ${pctf(client.cpuShare)}` : ''}; the whole machine was ${pctf(srv.machineBusy)} busy of its ${srv.cpus} CPUs, ` +
    `i.e. ~${pctf(others)} of a core went to the kernel's own threads${client ? '' : ", the students' process"} and to other work on the machine); ` +
    `event-loop delay p99 ${ms(srv.loopDelayP99Ms)} ms, max ${ms(srv.loopDelayMaxMs)} ms`
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function report(r: any, prefix: string): string {
  const p = r.plan;
  const st = r.steady;
  const fx = r.fix;
  const en = r.end;
  const h = r.rss.helpers as HelperSample;
  const names = Object.entries(h.byName)
    .sort((a, b) => b[1].rss - a[1].rss)
    .map(([n, v]) => `${v.count} × ${n} ${mib(v.rss)} MiB`)
    .join(', ');
  const iso = r.isolation;
  const refusal = (a: { ok: boolean; error?: string } | undefined) =>
    a ? (a.ok ? '**accepted**' : `refused ("${a.error}")`) : '–';
  const statuses = Object.entries(st.apiStatuses as Record<string, number>)
    .map(([k, v]) => `${v} × ${k}`)
    .join(', ');
  const triggers = Object.entries(st.runs.byTrigger as Record<string, number>)
    .map(([k, v]) => `${v} × ${k}`)
    .join(', ');
  const path = p.ping ? `${p.ping.from} → ${p.ping.to}` : undefined;
  const lines = [
    `Run ${r.startedAt} (\`pnpm bench:class\`${r.quick ? ' --quick' : ''}), ${r.machine.cpus}, ${r.machine.ram}, kernel ${r.machine.kernel}; ` +
      `${r.students} students in a session of \`${p.scenario}\`, a lab of ${p.nodes} nodes each (${r.namespaces} namespaces in all).`,
    '',
    `**Session and joins:** the instructor opened the session in ${ms(r.session.createMs)} ms and subscribed to its progress in ${ms(r.session.subscribeMs)} ms. ` +
      `All ${r.students} \`POST /api/join\` sent at once: the last answered ${s1(r.join.ms)} s after the first was sent (${r.join.failed} failed; each join p50 ${ms(r.join.join.p50)} ms, p95 ${ms(r.join.join.p95)} ms, max ${ms(r.join.join.max)} ms); ` +
      `the dashboard (\`session:progress\`) showed the whole class ${s1(r.join.dashboardAllMs)} s after the first join was sent${r.join.dashboardMissing.length ? ` (never: ${r.join.dashboardMissing.join(', ')})` : ''}.`,
    '',
    `**Connect:** then, all at once, each student connected, subscribed to its exercise's results and its tables, loaded \`GET …/exercise\`, ${path ? `started a live ping ${path}, ` : ''}and opened a terminal in \`${p.terminalNode}\`: ` +
      `${r.connect.ready}/${r.students} at a shell prompt ${s1(r.connect.ms)} s later (socket connect p95 ${ms(r.connect.connect.p95)} ms, \`exercise:subscribe\` ack p95 ${ms(r.connect.exerciseAck.p95)} ms, ` +
      `\`GET …/exercise\` p95 ${ms(r.connect.exerciseGet.p95)} ms, tables snapshot p95 ${ms(r.connect.snapshot.p95)} ms${path ? `, ping:start ack p95 ${ms(r.connect.pingAck.p95)} ms` : ''}, ` +
      `terminal open → prompt p50 ${ms(r.connect.terminalPrompt.p50)} / max ${ms(r.connect.terminalPrompt.max)} ms).`,
    '',
    `Steady phase, ${st.seconds.toFixed(0)} s, ${st.active} students active (labs still broken):`,
    '',
    '| latency (ms) | samples | p50 | p95 | p99 | max |',
    '|---|---|---|---|---|---|',
    row('`GET /api/labs/LAB/state` (each student every ~3 s)', st.api),
    row('terminal: `echo hi⏎` typed → `hi` printed (client has it)', st.echoHi),
    row('terminal: keystrokes typed → first output (the tty echo)', st.echoFirst),
    row(`\`ip addr add …/32 dev lo\` typed → \`tables:delta\` of ${p.terminalNode} with the address`, st.delta),
    row('the same command typed → the prompt back (the shell and `ip` alone)', st.addrPrompt),
    ...(st.pingRtt.n ? [row(`ping RTT ${path} (as ping reports it)`, st.pingRtt)] : []),
    '',
    `API answers: ${statuses || 'none'}. Live streams in the phase: ${path ? `the ping ${path}: ${st.pingReplies} replies, ${st.pingEvents} events (${(st.pingEventKinds as string[]).join(', ') || 'none'}); ` : ''}` +
      `${st.counters} \`tables:counters\` samples (fewest for one student: ${st.countersMin}), ${st.deltas} \`tables:delta\` (${st.coalesced} coalesced). ` +
      `**Check runs** (every Enter, kernel change and 10 s tick asks for one; at most ${EXERCISE_HUB_DEFAULTS.concurrency} at once, of which ${EXERCISE_HUB_DEFAULTS.backgroundConcurrency} for Enter's and the tick's, one waiting per lab; a run whose lab changes while it runs is overtaken): ${st.runs.count} \`exercise:results\` (${triggers || 'none'}), ` +
      `${st.runs.perLabPerMinute.toFixed(1)} per lab per minute, each run ${ms(st.runs.ms.p50)} ms p50 / ${ms(st.runs.ms.max)} ms max. ` +
      `${st.failures.length ? `Failures: ${st.failures.length} (${st.failures.slice(0, 3).join('; ')}${st.failures.length > 3 ? '; …' : ''}).` : 'No request or measurement failed.'}`,
    '',
    `**The fix:** each of the ${fx.active} students typed \`${p.fix.join('; ')}\` in its terminal, one after another over ${fx.spreadS} s, and waited:`,
    '',
    '| latency (ms) | samples | p50 | p95 | p99 | max |',
    '|---|---|---|---|---|---|',
    row('fix typed → the prompt back', fx.prompt),
    row(`fix typed → the student's \`exercise:results\` with all ${p.checks} checks passing`, fx.results),
    row("fix typed → the instructor's `session:progress` shows the student solved", fx.dashboard),
    ...(path ? [row(`fix typed → first reply of the live ping ${path}`, fx.ping)] : []),
    '',
    `The passing run itself took ${ms(fx.passRunMs.p50)} ms p50 (max ${ms(fx.passRunMs.max)} ms); the rest of the wait for it is the kernel settling (a neighbour resolved again), the trigger's debounce and the queue of check runs. ` +
      `${fx.byKernelChange} of ${fx.results.n} passing runs came within 1 s of the fix, i.e. from the kernel change (debounce ${EXERCISE_HUB_DEFAULTS.debounceMs} ms, none while a run is in flight: it is overtaken); the others waited for Enter's run (1 s after it) or later. ` +
      `The dashboard showed the whole class solved ${s1(fx.classSolvedAfterFirstMs)} s after the first fix was typed (${s1(fx.classSolvedAfterLastMs)} s after the last); ` +
      `\`GET /api/sessions/:id\` afterwards: ${fx.sessionGet.solved}/${fx.sessionGet.students} solved (${ms(fx.sessionGet.ms)} ms). ` +
      `${fx.missing.length ? `Never seen (within ${fx.timeoutS} s): ${fx.missing.length} (${fx.missing.slice(0, 5).join('; ')}${fx.missing.length > 5 ? '; …' : ''}).` : 'Every event arrived.'} ` +
      `Server in the fix phase: ${serverLine(fx.server)}.`,
    '',
    ...(r.fixFloor
      ? [
          `**The kernel's floor for the fix** (the same run, \`bench/src/fix-floor.ts\`): in a lab of the same scenario, with a live ping ${r.fixFloor.path} running as each student's does, ` +
            `the fix (\`${r.fixFloor.fix.join('; ')}\`) was run at a random moment ${r.fixFloor.reps} times, and pings started with it, one after another, got their first reply after ` +
            `**${ms(r.fixFloor.firstReply.p50)} ms p50 / ${ms(r.fixFloor.firstReply.p95)} ms p95** (max ${ms(r.fixFloor.firstReply.max)} ms). ` +
            `In ${r.fixFloor.unresolvedAtFix} of ${r.fixFloor.reps} the source's ARP entry was unresolved (INCOMPLETE) at the fix: a packet to it waits for the kernel's next solicitation, one a second (or fails with the entry after the third, and the next one resolves it afresh), ` +
            `so nothing, the checks included, can see the path work sooner. Fix → the dashboard over this floor: p50 ${(fx.dashboard.p50 / r.fixFloor.firstReply.p50).toFixed(2)}×, p95 ${(fx.dashboard.p95 / r.fixFloor.firstReply.p95).toFixed(2)}×.`,
          '',
        ]
      : []),
    `**Server process, steady phase:** ${serverLine(st.server, st.client)} (the students' process: p99 ${ms(st.client.loopDelayP99Ms)} ms). ` +
      `RSS: ${mib(r.rss.idle)} MiB idle, at most ${mib(r.rss.joinMax)} MiB while the class joined, ${mib(r.rss.connected)} MiB with the class connected, **at most ${mib(r.rss.steadyMax)} MiB in the steady phase**, ${mib(r.rss.fixMax)} MiB in the fix phase. ` +
      `Helper processes (its descendants, at most: ${h.count}): RSS ${mib(h.rss)} MiB summed (PSS ${mib(h.pss)} MiB, shared pages counted once): ${names}.`,
    '',
    iso.skipped
      ? 'Isolation: not checked (one student).'
      : `**Isolation** (${iso.from}'s token against ${iso.to}'s lab): \`GET …/state\` → ${iso.getState}, \`GET …/exercise\` → ${iso.getExercise}, \`POST …/checks\` → ${iso.checks}, \`PUT\` → ${iso.put}, ` +
        `\`GET /api/labs\` lists [${iso.listSeesOnly.join(', ')}], \`GET /api/sessions\` → ${iso.sessions}; socket \`exercise:subscribe\` ${refusal(iso.exerciseSubscribe)}, \`tables:subscribe\` ${refusal(iso.tablesSubscribe)}, ` +
        `\`terminal:open\` ${refusal(iso.terminalOpen)}, \`session:subscribe\` ${refusal(iso.sessionSubscribe)}.`,
    '',
    `**End of the session:** \`DELETE /api/sessions/:id\` → ${en.status} in ${s1(en.ms)} s, ${en.destroyed} labs destroyed${en.error ? ` (${en.error})` : ''}; \`session:ended\` reached the dashboard after ${s1(en.sessionEndedMs)} s; ` +
      `${en.socketsClosed} student sockets closed by the server; a student's token afterwards → ${en.tokenAfter ?? '–'}. Left by the end alone: ${en.namespacesLeft} \`${prefix}\` namespaces, ${en.labsLeft} labs.`,
  ];
  lines.push(
    '',
    `After the cleanup: ${r.leftAfterCleanup.namespaces} \`${prefix}\` namespaces, ${r.leftAfterCleanup.usernsPins} user-namespace pins left.`,
  );
  if (r.unhandledRejections.length) {
    const kinds = new Map<string, number>();
    for (const e of r.unhandledRejections as string[])
      kinds.set(e.split('\n')[0]!, (kinds.get(e.split('\n')[0]!) ?? 0) + 1);
    lines.push(
      '',
      `Unhandled promise rejections in the server process (recorded by the bench; \`patchbay serve\` would crash on one): ${[...kinds].map(([k, n]) => `${n} × ${k}`).join('; ')}.`,
    );
  }
  if (r.errors.length)
    lines.push(
      '',
      `Errors: ${r.errors.length} (${r.errors.slice(0, 5).join('; ')}${r.errors.length > 5 ? '; …' : ''}).`,
    );
  return lines.join('\n');
}
