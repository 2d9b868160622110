// Exercise checks on the live kernel: each probe gathers facts from the student's own lab (never
// the drawing) and the pure judges of @patchbay/scenarios turn them into pass/fail, a reason and
// what was seen. Checks run one after another in the file's order, so an fdb or neighbor check sees
// the traffic of the ping checks before it; the lab's tables are read once and read again only
// after a check that sends traffic or runs a command.
import {
  judgeCommand,
  judgeFdb,
  judgeInterface,
  judgeNeighbor,
  judgePing,
  judgeRoute,
  judgeSysctl,
  judgeTcp,
  pingCount,
  type Check,
  type CheckResult,
  type PingFacts,
  type RouteEntry,
  type Scenario,
} from '@patchbay/scenarios';
import { compile, type Lab } from '@patchbay/topology';
import {
  ProcessError,
  parseConcatenatedJson,
  runInNamespace,
  runSandboxed,
  sandboxHostname,
  tcpProbe,
  type SandboxLimits,
} from '@patchbay/kernel';
import type { Engine } from './engine.js';
import { labState, type LabStateView, type NodeView } from './lab-state.js';

/** A command check or solution step may run this long. */
export const COMMAND_TIMEOUT_MS = 20_000;
/** Output kept of a command (what a result or a proof shows). */
export const MAX_COMMAND_OUTPUT = 4096;

export interface ChecksRun {
  results: CheckResult[];
  passed: number;
  total: number;
  ms: number;
}

/** Where each node's commands run: its own namespace, or for a bridge its host's (compiled once per lab). */
export function nodeNamespaces(lab: Lab, prefix: string): (node: string) => string {
  const names = compile(lab, prefix).names.nodeNamespace;
  return (node) => {
    const ns = names[node];
    if (!ns) throw new Error(`lab ${lab.name} has no node ${node}`);
    return ns;
  };
}

/**
 * `sh -c RUN` in namespace `ns` (a node's: see nodeNamespaces) for a scenario's setup or solution
 * step or command check, bounded in time and output. Scenario files are shared, so RUN never runs as
 * the machine's root: it runs in the student sandbox with the node's network privileges only
 * (kernel step-sandbox.ts; what it can and cannot do: docs/isolation.md). Everything it started ends
 * with it. 124 and the reason when it timed out or printed too much.
 */
export async function runInNode(
  ns: string,
  command: string,
  node = 'node',
  limits?: SandboxLimits,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await runSandboxed(ns, ['sh', '-c', command], {
      hostname: sandboxHostname(node),
      timeoutMs: COMMAND_TIMEOUT_MS,
      ...(limits ? { limits } : {}),
    });
    return { code: r.code, stdout: clip(r.stdout), stderr: clip(r.stderr) };
  } catch (err) {
    const partial =
      err instanceof ProcessError ? { stdout: err.stdout, stderr: err.stderr } : { stdout: '', stderr: '' };
    const why = err instanceof Error ? err.message : String(err);
    return {
      code: 124,
      stdout: clip(partial.stdout),
      stderr: clip(`${partial.stderr}${partial.stderr ? '\n' : ''}${why}`),
    };
  }
}

const clip = (s: string) => (s.length > MAX_COMMAND_OUTPUT ? `${s.slice(0, MAX_COMMAND_OUTPUT)}…` : s);

/**
 * A run given up because its lab changed while it ran (its result would describe a lab that is no
 * more): thrown at once, without waiting for the check in flight. `settled` settles when that
 * check's process has ended by itself (a ping within its own bound), so whoever removes the lab
 * can wait for it.
 */
export class ChecksAbandoned extends Error {
  constructor(readonly settled: Promise<void>) {
    super('the check run was abandoned: its lab changed while it ran');
    this.name = 'ChecksAbandoned';
  }
}

export interface RunChecksOptions {
  /** Aborted: the run stops at once with ChecksAbandoned (the check in flight is left to end by itself). */
  signal?: AbortSignal;
}

/** Runs every check of `scenario` against lab `name` (which was started from it). */
export async function runChecks(
  engine: Engine,
  name: string,
  scenario: Scenario,
  opts: RunChecksOptions = {},
): Promise<ChecksRun> {
  const started = Date.now();
  const { signal } = opts;
  const abandoned = (inFlight: Promise<unknown>) =>
    new ChecksAbandoned(
      inFlight.then(
        () => undefined,
        () => undefined,
      ),
    );
  if (signal?.aborted) throw abandoned(Promise.resolve());
  const entry = await engine.sharedEntry(name);
  const lab = entry.lab ?? entry.pending!;
  const probe = new Prober(engine, name, lab);
  const results: CheckResult[] = [];
  for (const check of scenario.checks) {
    if (signal?.aborted) throw abandoned(Promise.resolve());
    try {
      const pending = probe.check(check);
      results.push(signal ? await untilAborted(pending, signal, () => abandoned(pending)) : await pending);
    } catch (err) {
      if (err instanceof ChecksAbandoned) throw err;
      results.push({
        id: check.id,
        title: check.title,
        pass: false,
        reason: `could not run the check: ${err instanceof Error ? err.message : String(err)}`,
        seen: '',
      });
    }
  }
  return { results, passed: results.filter((r) => r.pass).length, total: results.length, ms: Date.now() - started };
}

/** `work`'s result, or `abandon()` thrown as soon as `signal` aborts (work goes on unawaited). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, abandon: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abandon());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

class Prober {
  private state: Promise<LabStateView> | undefined;
  private readonly ns: (node: string) => string;

  constructor(
    private readonly engine: Engine,
    private readonly name: string,
    private readonly lab: Lab,
  ) {
    this.ns = nodeNamespaces(lab, engine.prefix);
  }

  private tables(): Promise<LabStateView> {
    this.state ??= labState(this.engine, this.name);
    return this.state;
  }

  private async nodeView(node: string): Promise<NodeView | undefined> {
    const ns = this.ns(node);
    return (await this.tables()).nodes.find((n) => n.namespace === ns);
  }

  private async macOf(ref: { node: string; interface: string }): Promise<string | undefined> {
    return (await this.nodeView(ref.node))?.interfaces.find((i) => i.name === ref.interface)?.mac;
  }

  /** After traffic or a command the tables may have changed. */
  private touched(): void {
    this.state = undefined;
  }

  async check(c: Check): Promise<CheckResult> {
    switch (c.type) {
      case 'ping': {
        this.touched();
        return judgePing(c, await this.ping(this.ns(c.from), c.to, pingCount(c), c.size, c.dontFragment));
      }
      case 'tcp': {
        this.touched();
        const listenNode = c.listen?.node ?? (await this.ownerOf(c.to));
        const r = await tcpProbe({
          fromNs: this.ns(c.from),
          to: c.to,
          port: c.port,
          ...(listenNode ? { listenNs: this.ns(listenNode) } : {}),
          ...(c.listen?.port ? { listenPort: c.listen.port } : {}),
        });
        const facts = r.connected
          ? { connected: true }
          : {
              connected: false,
              error: listenNode ? r.error : `${r.error ?? 'failed'}; no node of the lab has ${c.to}`,
            };
        return judgeTcp(c, facts);
      }
      case 'interface': {
        const view = await this.nodeView(c.node);
        const i = view?.interfaces.find((x) => x.name === c.interface);
        return judgeInterface(
          c,
          i && { exists: true, up: i.up, mtu: i.mtu ?? 0, addresses: i.addresses, master: i.master ?? null },
        );
      }
      case 'route':
        // An IPv6 destination ("::/0" for IPv6's default) or gateway is judged on IPv6's table.
        return judgeRoute(c, {
          routes: await this.routes(this.ns(c.node), c.to.includes(':') || !!c.via?.includes(':')),
        });
      case 'fdb': {
        const state = await this.tables();
        const bridge = state.bridges.find((b) => b.bridge === c.bridge);
        const learned = (bridge?.fdb ?? []).filter((e) => e.state !== 'permanent' && !e.flags.includes('self'));
        return judgeFdb(c, { entries: learned.map((e) => ({ mac: e.mac, port: e.port })) }, await this.macOf(c.mac));
      }
      case 'neighbor': {
        const view = await this.nodeView(c.node);
        const entries = (view?.neighbours ?? []).map((n) => ({
          ip: n.dst,
          ...(n.lladdr ? { mac: n.lladdr } : {}),
          ...(n.state?.length ? { state: n.state.join(',') } : {}),
        }));
        return judgeNeighbor(c, { entries }, await this.macOf(c.mac));
      }
      case 'sysctl': {
        const r = await runInNamespace(this.ns(c.node), 'sysctl', ['-n', '--', c.key], { timeoutMs: 5000 }).catch(
          () => undefined,
        );
        return judgeSysctl(c, { value: r && r.code === 0 ? r.stdout.trim() : undefined });
      }
      case 'command': {
        this.touched();
        const r = await runInNode(this.ns(c.node), c.run, c.node, this.engine.sandboxLimits(this.name));
        return judgeCommand(c, { code: r.code, stdout: r.stdout, stderr: r.stderr });
      }
    }
  }

  /** The node whose live interfaces carry `ip` (where the tcp check's listener goes). */
  private async ownerOf(ip: string): Promise<string | undefined> {
    const state = await this.tables();
    for (const n of state.nodes) {
      if (n.interfaces.some((i) => i.addresses.some((a) => a.split('/')[0] === ip)) && this.lab.nodes[n.node])
        return n.node;
    }
    return undefined;
  }

  private async ping(ns: string, to: string, count: number, size?: number, dontFragment?: boolean): Promise<PingFacts> {
    // -c without -w: exactly COUNT requests (with -w ping keeps sending until COUNT replies), each
    // reply awaited at most a second.
    const args = ['-n', '-c', String(count), '-i', '0.2', '-W', '1'];
    if (size !== undefined) args.push('-s', String(size));
    if (dontFragment) args.push('-M', 'do');
    args.push('--', to);
    const r = await runInNamespace(ns, 'ping', args, { timeoutMs: 15_000 });
    return parsePingOutput(r.stdout, r.stderr);
  }

  private async routes(ns: string, ipv6 = false): Promise<RouteEntry[]> {
    const r = await runInNamespace(ns, 'ip', ['-j', ...(ipv6 ? ['-6'] : []), 'route', 'show'], { timeoutMs: 5000 });
    const raw = (parseConcatenatedJson(r.stdout)[0] ?? []) as { dst?: string; gateway?: string; dev?: string }[];
    return raw
      .filter((x) => x.dst)
      .map((x) => ({
        to:
          x.dst === 'default'
            ? ipv6
              ? '::/0'
              : 'default'
            : x.dst!.includes('/')
              ? x.dst!
              : `${x.dst}/${ipv6 ? 128 : 32}`,
        ...(x.gateway ? { via: x.gateway } : {}),
        ...(x.dev ? { dev: x.dev } : {}),
      }));
  }
}

/** `N packets transmitted, M received` of iputils ping; its first complaint when it could not send. */
export function parsePingOutput(stdout: string, stderr: string): PingFacts {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(stdout);
  const complaint = [...stderr.split('\n'), ...stdout.split('\n')]
    .map((l) => l.trim())
    .find((l) => /^ping: |^From \S+ icmp_seq=\d+ /.test(l));
  const error = complaint?.replace(/^ping: /, '').replace(/^From (\S+) icmp_seq=\d+ /, '$1: ');
  return { sent: m ? Number(m[1]) : 0, received: m ? Number(m[2]) : 0, ...(error ? { error } : {}) };
}
