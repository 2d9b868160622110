// `pnpm bench:why`: what one `why` answer costs, the walk alone (probe: false) and with the probe,
// on a 2-hop lab (a — r — b) and an 8-router chain (a — r1 … r8 — b), next to the raw way in the
// same run: a hand-written sequence of the same kernel reads, one process each (`ip route get` per
// hop both ways, `ip link`, `ip neigh`, `bridge fdb`, `iptables-save` per namespace), and for the
// probe a `ping -c1`. Also the chain with a DROP in r4's FORWARD chain (the probe stops at the trace's
// verdict). Targets: p95 under 500 ms for the walk, under 2 s with the probe. Prefix `pbwy-`, every
// namespace removed at the end. `--quick`: 5 runs, no doc, no results file; `--runs N`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, explainPath } from '@patchbay/engine';
import { deleteNamespaces, listNamespaces, runInNamespace } from '@patchbay/kernel';
import { parseLabText, type Lab, type WhyResult } from '@patchbay/topology';
import { machineFacts } from './report.js';
import { argNum, now, ROOT, runAsync, sleep, writeBenchSection } from './util.js';

const PREFIX = 'pbwy-';
const quick = process.argv.includes('--quick');
const RUNS = argNum('--runs', quick ? 5 : 20);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const f = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0));

/** A chain a — r1 … rN — b: link j joins node j and j+1 on 10.70.j.0/24 (.1 left, .2 right). */
function chainLab(name: string, routers: number): Lab {
  const nodes = ['a', ...Array.from({ length: routers }, (_, i) => `r${i + 1}`), 'b'];
  const last = nodes.length - 2; // the last link's index
  const lines = [`name: ${name}`, 'nodes:', '  a: { kind: netns, routes: [{ to: default, via: 10.70.0.2 }] }'];
  for (let i = 1; i <= routers; i++) {
    const back = Array.from({ length: i - 1 }, (_, j) => `{ to: 10.70.${j}.0/24, via: 10.70.${i - 1}.1 }`);
    lines.push(
      `  r${i}: { kind: router, routes: [{ to: default, via: 10.70.${i}.2 }${back.map((r) => `, ${r}`).join('')}] }`,
    );
  }
  lines.push(`  b: { kind: netns, routes: [{ to: default, via: 10.70.${last}.1 }] }`, 'links:');
  for (let j = 0; j <= last; j++)
    lines.push(
      `  - a: { node: ${nodes[j]}, interface: right, addresses: [10.70.${j}.1/24] }`,
      `    b: { node: ${nodes[j + 1]}, interface: left, addresses: [10.70.${j}.2/24] }`,
    );
  const { lab, problems } = parseLabText(lines.join('\n') + '\n');
  if (!lab || problems.length) throw new Error(JSON.stringify(problems));
  return lab;
}

/** The raw way: the walk's kernel reads as a hand-written sequence of processes, one after another. */
function rawCommands(lab: string, routers: number): string[][] {
  const ns = (n: string) => `${PREFIX}${lab}.${n}`;
  const nodes = ['a', ...Array.from({ length: routers }, (_, i) => `r${i + 1}`), 'b'];
  const src = '10.70.0.1';
  const dst = `10.70.${routers}.2`;
  const cmds: string[][] = [];
  nodes.forEach((n, i) => {
    const fwd = i === 0 ? ['from', src] : ['from', src, 'iif', 'left'];
    cmds.push(['ip', '-n', ns(n), '-j', 'route', 'get', dst, ...fwd, 'ipproto', 'icmp']);
    const back = i === nodes.length - 1 ? ['from', dst] : ['from', dst, 'iif', 'right'];
    cmds.push(['ip', '-n', ns(n), '-j', 'route', 'get', src, ...back, 'ipproto', 'icmp']);
    cmds.push(['ip', '-n', ns(n), '-j', 'link', 'show']);
    cmds.push(['ip', '-n', ns(n), '-j', 'neigh', 'show']);
    cmds.push(['bridge', '-n', ns(n), '-j', 'fdb', 'show']);
    cmds.push(['ip', 'netns', 'exec', ns(n), 'iptables-save']);
  });
  return cmds;
}

async function runRaw(cmds: string[][], ping?: string[]): Promise<void> {
  for (const [cmd, ...args] of cmds) {
    const r = await runAsync(cmd!, args, '');
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  }
  if (ping) await runAsync(ping[0]!, ping.slice(1), '');
}

async function timeRuns(fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = now();
    await fn();
    out.push(now() - t0);
    await sleep(30);
  }
  return out;
}

interface Case {
  what: string;
  ms: number[];
  raw: number[];
  target: number;
  /** What the last answer said, to show that it answered the question. */
  said: string;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-bench-why-'));
  const engine = new Engine({ prefix: PREFIX, dataDir });
  const loadStart = loadavg();
  const started = new Date();
  const cases: Case[] = [];
  let last: WhyResult | undefined;
  const ask = async (lab: string, probe: boolean) => {
    last = await explainPath(engine, lab, { from: 'a', to: 'b', probe });
    return last;
  };
  const said = () =>
    last!.probe
      ? `${last!.reachable ? 'reachable' : `blocked at ${last!.blocked?.node} (${last!.blocked?.reason})`}; probe: ${last!.probe.agrees ? 'agrees' : 'disagrees'}`
      : last!.reachable
        ? `reachable, ${last!.forward.length} + ${last!.reverse.length} hops`
        : `blocked at ${last!.blocked?.node} (${last!.blocked?.reason})`;
  try {
    for (const [lab, routers, label] of [
      ['two', 1, '2-hop lab (a — r — b)'],
      ['chain', 8, '8-router chain (a — r1 … r8 — b)'],
    ] as const) {
      await engine.apply(chainLab(lab, routers));
      const raw = rawCommands(lab, routers);
      const ping = ['ip', 'netns', 'exec', `${PREFIX}${lab}.a`, 'ping', '-n', '-c1', '-W1', `10.70.${routers}.2`];
      await ask(lab, true); // warm: the spawner, the first reads
      const walk = await timeRuns(() => ask(lab, false));
      cases.push({
        what: `${label}, walk only`,
        ms: walk,
        raw: await timeRuns(() => runRaw(raw)),
        target: 500,
        said: said(),
      });
      const probed = await timeRuns(() => ask(lab, true));
      cases.push({
        what: `${label}, with the probe`,
        ms: probed,
        raw: await timeRuns(() => runRaw(raw, ping)),
        target: 2000,
        said: said(),
      });
      if (lab === 'chain') {
        const add = await runInNamespace(`${PREFIX}chain.r4`, 'iptables', [
          '-A',
          'FORWARD',
          '-p',
          'icmp',
          '-j',
          'DROP',
        ]);
        if (add.code !== 0) throw new Error(add.stderr);
        const blocked = await timeRuns(() => ask(lab, true));
        cases.push({
          what: `${label}, DROP in r4's FORWARD, with the probe`,
          ms: blocked,
          raw: await timeRuns(() => runRaw(raw, ping)),
          target: 2000,
          said: said(),
        });
      }
      await engine.destroy(lab);
    }
    const facts = machineFacts();
    const la = (x: number[]) => x.map((v) => v.toFixed(2)).join(' ');
    const row = (c: Case) =>
      `| ${c.what} | ${f(pct(c.ms, 50))} | ${f(pct(c.ms, 95))} ${pct(c.ms, 95) < c.target ? '✓' : '✗'} (< ${c.target}) | ${f(pct(c.raw, 50))} / ${f(pct(c.raw, 95))} | ${(pct(c.ms, 50) / pct(c.raw, 50)).toFixed(2)}× | ${c.said} |`;
    const md = [
      `Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')} (\`pnpm bench:why\`), ${RUNS} runs each; ${Object.entries(
        facts,
      )
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')}. Load average (1/5/15 min) at start ${la(loadStart)}, at end ${la(loadavg())}.`,
      '',
      '| `why a b` (icmp), ms | p50 | p95 (target) | raw sequence p50 / p95 | p50 × raw | the answer |',
      '|---|---|---|---|---|---|',
      ...cases.map(row),
      ...(loadStart[0]! > cpus().length
        ? [
            '',
            `This run was on a loaded machine (load average ${loadStart[0]!.toFixed(1)} at the start on ${cpus().length} CPUs: other work shared it), so every figure, the raw sequence's too, is higher than on an idle machine; rerun on an idle one for the reference figures.`,
          ]
        : []),
    ].join('\n');
    process.stdout.write(md + '\n');
    if (!quick) {
      writeBenchSection('why', md);
      writeFileSync(
        join(ROOT, 'bench/results/why-latest.json'),
        JSON.stringify({ startedAt: started.toISOString(), runs: RUNS, facts, loadStart, cases }, null, 2) + '\n',
      );
    }
  } finally {
    await engine.close();
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
