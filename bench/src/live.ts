// `pnpm bench:live`: the live backend's speed, each figure next to the raw way to get the same
// thing in the same run. The server runs in this process (as `patchbay serve` would: a long-lived
// engine in watch mode); the client runs in a forked process (live-client.ts), so this process's
// RSS and CPU are the server's. Labs use the prefix `pbl-` and are removed at the end, also on failure.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '@patchbay/engine';
import { deleteNamespaces, listNamespaces } from '@patchbay/kernel';
import { buildApp, openStore } from '@patchbay/server';
import { parseLabText, type Lab } from '@patchbay/topology';
import type { ClientCommand } from './live-client.js';
import { machineFacts } from './report.js';
import { ROOT, sleep, RssSampler, writeBenchSection } from './util.js';

const PREFIX = 'pbl-';
const TOKEN = 'bench-live-token-0123456789abcdef';
const LAB = 'live1';
const quick = process.argv.includes('--quick');
const CHANGES = quick ? 40 : 200;
const LATENCY_PACKETS = quick ? 1000 : 4000;
const FLOOD_S = quick ? 2 : 5;
const LABS = quick ? 10 : 40;

const example = readFileSync(join(ROOT, 'examples/two-containers.yaml'), 'utf8');
const labNamed = (name: string): Lab => parseLabText(example.replace('name: two-containers', `name: ${name}`)).lab!;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}
const ms = (x: number) => (Number.isNaN(x) ? '–' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const dist = (xs: number[]) => ({
  n: xs.length,
  p50: pct(xs, 50),
  p95: pct(xs, 95),
  p99: pct(xs, 99),
  max: pct(xs, 100),
});
type Dist = ReturnType<typeof dist>;

function rssOfPid(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** RSS of this process's child processes (the server's helpers: spawner, namespace watchers), and their count. */
function childrenRss(): { bytes: number; count: number; names: string[] } {
  let bytes = 0;
  const names: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(after[1]) !== process.pid) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (cmd.some((a) => a.endsWith('live-client.js'))) continue;
      names.push(
        cmd
          .map((a) => a.split('/').pop())
          .slice(0, 3)
          .join(' '),
      );
      bytes += rssOfPid(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return { bytes, count: names.length, names };
}

function ask<T>(child: ChildProcess, msg: ClientCommand): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m: { ok: boolean; result?: T; error?: string }) =>
      m.ok ? resolve(m.result as T) : reject(new Error(m.error)),
    );
    child.send(msg);
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-bench-live-'));
  const engine = new Engine({ prefix: PREFIX, dataDir, watch: true });
  const db = openStore(dataDir);
  const app = await buildApp({ engine, store: db, adminToken: TOKEN });
  let client: ChildProcess | undefined;
  const started = new Date();
  try {
    await engine.recover();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    await engine.apply(labNamed(LAB));
    const rssIdle = process.memoryUsage.rss();
    client = fork(join(import.meta.dirname, 'live-client.js'), [url, TOKEN], { stdio: 'inherit' });
    await new Promise<void>((r) => client!.once('message', () => r()));
    const ns = (node: string) => `${PREFIX}${LAB}.${node}`;

    console.log(`delta latency: ${CHANGES} address changes…`);
    const d = await ask<{ client: number[]; raw: number[] }>(client, {
      cmd: 'delta',
      lab: LAB,
      ns: ns('ns-web'),
      node: 'ns-web',
      changes: CHANGES,
    });

    console.log(`capture latency: ${LATENCY_PACKETS} packets at ~1000/s…`);
    const cl = await ask<{
      client: number[];
      raw: number[];
      pps: number;
      status: { packets: number; dropped: number };
    }>(client, {
      cmd: 'capture-latency',
      lab: LAB,
      node: 'ns-db',
      iface: 'veth-db',
      fromNs: ns('ns-web'),
      target: '192.168.100.20',
      packets: LATENCY_PACKETS,
    });

    console.log(`throughput: ${FLOOD_S} s flood, bare tcpdump then the server…`);
    type Tp = {
      lines: number;
      seconds: number;
      perSecond: number;
      status?: { packets: number; dropped: number; decoderDropped: number; kernelDropped?: number };
    };
    const flood = {
      cmd: 'throughput',
      lab: LAB,
      node: 'ns-db',
      iface: 'veth-db',
      fromNs: ns('ns-web'),
      target: '192.168.100.20',
      seconds: FLOOD_S,
    } as const;
    const rawTp = await ask<Tp>(client, { ...flood, raw: true });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const sampler = new RssSampler();
    const srvTp = await ask<Tp>(client, { ...flood, raw: false });
    const floodRss = sampler.stop();
    const cpu = process.cpuUsage(cpu0);
    const cpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);

    console.log(`RSS: ${LABS} labs subscribed…`);
    const names = Array.from({ length: LABS }, (_, i) => `r${String(i + 1).padStart(2, '0')}`);
    for (const n of names) await engine.apply(labNamed(n));
    const rssLabs = process.memoryUsage.rss();
    const sub = await ask<{ ms: number }>(client, { cmd: 'subscribe-all', labs: names });
    await sleep(500);
    const rssSubscribed = process.memoryUsage.rss();
    const helpers = childrenRss();

    const result = {
      startedAt: started.toISOString(),
      quick,
      machine: machineFacts(),
      delta: { client: dist(d.client), raw: dist(d.raw) },
      captureLatency: {
        client: dist(cl.client),
        raw: dist(cl.raw),
        pps: cl.pps,
        packets: cl.status.packets,
        dropped: cl.status.dropped,
      },
      throughput: { raw: rawTp, server: srvTp, serverCpuShare: cpuShare, rssMax: floodRss },
      rss: { idle: rssIdle, labs: LABS, afterApply: rssLabs, subscribed: rssSubscribed, subscribeMs: sub.ms, helpers },
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/live-latest.json'), JSON.stringify(result, null, 2) + '\n');
    const md = report(result);
    console.log(md);
    if (!quick) writeBenchSection('live', md);
  } finally {
    if (client?.connected) client.send({ cmd: 'exit' });
    await app.close().catch(() => undefined);
    for (const l of await engine.list().catch(() => [])) await engine.destroy(l.name).catch(() => undefined);
    await engine.close().catch(() => undefined);
    await db.close();
    await deleteNamespaces(await listNamespaces(PREFIX));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function row(what: string, x: Dist, raw: Dist | undefined, rawWhat: string): string {
  return `| ${what} | ${x.n} | ${ms(x.p50)} | ${ms(x.p95)} | ${ms(x.p99)} | ${ms(x.max)} | ${raw ? `${rawWhat}: ${ms(raw.p50)} / ${ms(raw.p95)}` : ''} |`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function report(r: any): string {
  const tp = r.throughput;
  const s = tp.server.status ?? {};
  return [
    `Run ${r.startedAt} (\`pnpm bench:live\`${r.quick ? ' --quick' : ''}), ${r.machine.cpus}, kernel ${r.machine.kernel}.`,
    '',
    '| latency (ms) | samples | p50 | p95 | p99 | max | the raw way, same run (p50 / p95) |',
    '|---|---|---|---|---|---|---|',
    row('kernel change → client has the delta', r.delta.client, r.delta.raw, '`ip monitor address` prints the line'),
    row(
      `tcpdump packet → client has the line (${r.captureLatency.pps.toFixed(0)} packets/s)`,
      r.captureLatency.client,
      r.captureLatency.raw,
      'bare `tcpdump -l --immediate-mode` prints it',
    ),
    '',
    '| flood (`ping -f`, snaplen 96) | lines | seconds | lines/s | dropped (client / decoder / kernel) |',
    '|---|---|---|---|---|',
    `| bare \`tcpdump -l -nn -tt\` read by a client process | ${tp.raw.lines} | ${tp.raw.seconds.toFixed(2)} | ${tp.raw.perSecond.toFixed(0)} | – |`,
    `| server → socket.io client (acknowledging each batch) | ${tp.server.lines} | ${tp.server.seconds.toFixed(2)} | ${tp.server.perSecond.toFixed(0)} | ${s.dropped ?? '–'} / ${s.decoderDropped ?? '–'} / ${s.kernelDropped ?? '–'} |`,
    '',
    `Server process during the flood: ${(tp.serverCpuShare * 100).toFixed(0)} % of one core, RSS at most ${mib(tp.rssMax)} MiB (idle with one lab: ${mib(r.rss.idle)} MiB).`,
    `${r.rss.labs} labs of 3 namespaces applied: server RSS ${mib(r.rss.afterApply)} MiB; all ${r.rss.labs} subscribed by one client (snapshots in ${r.rss.subscribeMs.toFixed(0)} ms): ${mib(r.rss.subscribed)} MiB, plus ${mib(r.rss.helpers.bytes)} MiB in its ${r.rss.helpers.count} helper processes (${r.rss.helpers.names.join('; ')}).`,
  ].join('\n');
}

await main();
