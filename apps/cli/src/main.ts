#!/usr/bin/env node
// `patchbay`: the command line (CLI.md). A thin shell over the engine: parse arguments, call the
// engine, print results, map errors to exit codes (0 done · 1 failed · 2 invalid input; 3: a
// scenario's checks fail, `why`: blocked).
import { readFile } from 'node:fs/promises';
import {
  Engine,
  EngineError,
  ApplyError,
  exportLab,
  exportScript,
  execInNode,
  labState,
  shellInNode,
} from '@patchbay/engine';
import { type Op, opCommand } from '@patchbay/topology';
import { formatState, formatList, formatPlanLine } from './format.js';
import { cmdScenario } from './scenario.js';
import { cmdWhy } from './why.js';
import { HELP, parseArgs, UsageError, type Parsed } from './args.js';

// Output piped into `head` and closed early is not an error: stop quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

async function readInput(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new EngineError(
      'invalid',
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}

async function cmdApply(engine: Engine, p: Parsed): Promise<number> {
  const [file] = p.positional; // the grammar (args.ts) guarantees each command's positionals
  const text = await readInput(file!);
  const verbose = p.flags.has('verbose');
  const tty = process.stderr.isTTY && !p.flags.has('json');
  const result = await engine.apply(text, {
    dryRun: p.flags.has('dry-run'),
    onPlan: (ops: readonly Op[]) => {
      if (verbose || p.flags.has('dry-run')) if (!p.flags.has('json')) for (const op of ops) out(formatPlanLine(op));
    },
    onProgress: tty ? (e) => process.stderr.write(`\r  ${e.stage} ${e.done}/${e.total}   `) : undefined,
  });
  if (tty) process.stderr.write('\r\x1b[K');
  // Valid, but probably not what was meant (overlapping subnets, policy rules that do nothing…):
  // one line each on stderr, as the editor shows them; in `--json`, the result's `warnings`.
  if (!p.flags.has('json'))
    for (const w of result.warnings) err(`warning: ${w.path ? `${w.path}: ` : ''}${w.message} (${w.code})`);
  if (p.flags.has('json')) {
    out(JSON.stringify({ ...result, ops: result.ops.map((o) => ({ ...o, command: opCommand(o) })) }, null, 2));
  } else if (result.dryRun) {
    out(`${result.lab}: ${result.ops.length} operation(s) would run (dry run, nothing changed)`);
  } else if (result.ops.length === 0) {
    out(`${result.lab}: already up to date (revision ${result.revision})`);
  } else {
    const nss = new Set(result.ops.map((o) => o.ns || o.args[2])).size;
    out(
      `${result.lab}: applied ${result.ops.length} operation(s) in ${nss} namespace(s) in ${Math.round(result.timings.totalMs)} ms (revision ${result.revision})`,
    );
  }
  if (result.drift.length) {
    for (const c of result.drift)
      err(
        `drift: ${c.node || c.ns}: ${c.kind} ${c.action}${'name' in c ? ` ${c.name}` : ''} still differs after apply`,
      );
    return 1;
  }
  return 0;
}

async function cmdServe(p: Parsed): Promise<number> {
  const portText = p.options.get('port');
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new EngineError('invalid', `--port ${JSON.stringify(portText)} is not a port number (0-65535)`);
  }
  const host = p.options.get('host');
  if (host === '') throw new EngineError('invalid', '--host needs a value');
  const agentPortText = p.options.get('agent-port');
  const agentPort = agentPortText === undefined ? undefined : Number(agentPortText);
  if (agentPort !== undefined && !(Number.isInteger(agentPort) && agentPort >= 0 && agentPort <= 65535)) {
    throw new EngineError('invalid', `--agent-port ${JSON.stringify(agentPortText)} is not a port number (0-65535)`);
  }
  const tlsCert = p.options.get('tls-cert');
  const tlsKey = p.options.get('tls-key');
  if ((tlsCert === undefined) !== (tlsKey === undefined))
    throw new EngineError('invalid', '--tls-cert and --tls-key go together: give both PEM files');
  // Loaded only here: the other commands do not pay for Fastify and SQLite.
  const { start } = await import('@patchbay/server');
  try {
    // the server then runs until SIGINT/SIGTERM
    await start({
      port,
      host,
      ...(tlsCert !== undefined && tlsKey !== undefined ? { tlsCert, tlsKey } : {}),
      ...(p.flags.has('no-local-agent') ? { localAgent: false } : {}),
      ...(agentPort !== undefined ? { agentPort } : {}),
    });
  } catch (e) {
    if (e instanceof EngineError) throw e;
    err(`patchbay serve: ${(e as Error).message}`); // e.g. EADDRINUSE: no stack for an expected failure
    return 1;
  }
  return 0;
}

/** `patchbay agent`: a lab host serving its coordinator (the server's agents/agent.ts). */
async function cmdAgent(p: Parsed): Promise<number> {
  const portText = p.options.get('port') ?? (process.env['PATCHBAY_AGENT_PORT'] || undefined);
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new EngineError('invalid', `--port ${JSON.stringify(portText)} is not a port number (0-65535)`);
  }
  const coordinator = p.options.get('coordinator') ?? process.env['PATCHBAY_COORDINATOR'];
  const name = p.options.get('name');
  if (!coordinator) throw new EngineError('invalid', '--coordinator URL is needed (or PATCHBAY_COORDINATOR)');
  if (!name) throw new EngineError('invalid', '--name NAME is needed');
  const host = p.options.get('host') ?? (process.env['PATCHBAY_AGENT_HOST'] || undefined);
  if (host === '') throw new EngineError('invalid', '--host needs a value');
  const advertise = p.options.get('advertise') ?? process.env['PATCHBAY_AGENT_ADVERTISE'];
  const { startAgent, agentOptionsProblem } = await import('@patchbay/server');
  const opts = {
    coordinator,
    name,
    drain: p.flags.has('drain'),
    ...(port !== undefined ? { port } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(advertise ? { advertise } : {}),
  };
  const problem = agentOptionsProblem(opts);
  if (problem) throw new EngineError('invalid', problem);
  try {
    await startAgent(opts); // then runs until SIGINT/SIGTERM
  } catch (e) {
    err(`patchbay agent: ${(e as Error).message}`);
    return 1;
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const p = parseArgs(argv);
  if (!p.command || p.help) {
    out(HELP);
    return p.help ? 0 : 2;
  }
  if (p.command === 'serve') return cmdServe(p);
  if (p.command === 'agent') return cmdAgent(p);
  const engine = new Engine();
  switch (p.command) {
    case 'apply':
      return cmdApply(engine, p);
    case 'destroy': {
      const [name] = p.positional;
      const r = await engine.destroy(name!);
      out(`${name}: removed ${r.removed.length} namespace(s)`);
      return 0;
    }
    case 'list': {
      const labs = await engine.list();
      out(p.flags.has('json') ? JSON.stringify(labs, null, 2) : formatList(labs));
      return 0;
    }
    case 'state': {
      const [name] = p.positional;
      const view = await labState(engine, name!);
      out(p.flags.has('json') ? JSON.stringify(view, null, 2) : formatState(view));
      return 0;
    }
    case 'exec': {
      const [name, node] = p.positional;
      return execInNode(engine, name!, node!, p.rest);
    }
    case 'export': {
      const [name] = p.positional;
      out(p.flags.has('script') ? await exportScript(engine, name!) : await exportLab(engine, name!));
      return 0;
    }
    case 'recover': {
      const r = await engine.recover();
      if (p.flags.has('json')) out(JSON.stringify(r, null, 2));
      else
        out(
          `adopted: ${r.adopted.join(', ') || '-'}\ncleaned: ${r.cleaned.join(', ') || '-'}\nrestored: ${r.restored.join(', ') || '-'}\nscratch removed: ${r.scratch.join(', ') || '-'}` +
            (r.cgroups.length ? `\nsandbox cgroups removed: ${r.cgroups.join(', ')}` : ''),
        );
      return 0;
    }
    case 'capabilities': {
      const features = await engine.kernelFeatures();
      const all = [
        'veth',
        'bridge',
        'vxlan',
        'iptables-nat',
        'bridge-stp',
        'bridge-vlan-filtering',
        'macvlan',
        'ebtables',
      ];
      if (p.flags.has('json'))
        out(JSON.stringify(Object.fromEntries(all.map((f) => [f, features.has(f as never)])), null, 2));
      else for (const f of all) out(`${features.has(f as never) ? 'yes' : 'no '}  ${f}`);
      return 0;
    }
    case 'why':
      return cmdWhy(engine, p, out);
    case 'shell': {
      const [name, node] = p.positional;
      return shellInNode(engine, name!, node!, p.rest);
    }
    default:
      return cmdScenario(engine, p, out, err); // `scenario SUB`: the only other commands the grammar has
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      err(`patchbay: ${e.message}`);
      process.exitCode = 2;
    } else if (e instanceof EngineError) {
      if (e.problems.length) for (const pr of e.problems) err(`${pr.path ? `${pr.path}: ` : ''}${pr.message}`);
      else err(`patchbay: ${e.message}`);
      if (e.problems.length) err(`patchbay: ${e.message}`);
      if (e instanceof ApplyError && e.failure.rollbackErrors.length)
        err('patchbay: the kernel may be left part-way; `patchbay state` shows it');
      process.exitCode = e.code === 'invalid' || e.code === 'unsupported' ? 2 : 1;
    } else {
      err(`patchbay: ${(e as Error).stack ?? String(e)}`);
      process.exitCode = 1;
    }
  },
);
