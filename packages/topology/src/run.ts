// `run:` — long-running processes in nodes (a web server, an echo service), in lab terms and as
// plan operations. Pure: which processes a lab wants (`desiredProcesses`), and the operations that
// take what runs now to that (`planProcesses`): an unchanged line keeps running, a changed,
// removed or dead one is stopped (its record cleared), a new or changed one started. A process is
// identified by its node and the exact text of its command (`processKey`), so editing a line
// restarts it and reordering lines does not. The engine carries the operations out (the kernel's
// node-process.ts starts each in the node's student sandbox, never as the machine's root); stops
// run in the plan's first stage (before any namespace goes), starts in its last (after the node is
// wired).
import type { Lab, RunSpec } from './model.js';
import { isBridge } from './model.js';
import { namespaceName } from './naming.js';
import type { Op } from './plan-types.js';
import { dnsProcesses } from './dns.js';

export const MAX_RUN_PER_NODE = 8;
export const MAX_RUN_PER_LAB = 64;
export const MAX_RUN_COMMAND_LENGTH = 1000;

/** A line's command text. */
export const runCommand = (spec: RunSpec): string => (typeof spec === 'string' ? spec : spec.command);
/** A line's label: its `name`, or `run-N` (N: its place in the node's list, from 1). */
export const runName = (spec: RunSpec, index: number): string =>
  typeof spec === 'string' || spec.name === undefined ? `run-${index + 1}` : spec.name;

/** FNV-1a 64 bit over UTF-16 code units, as 16 hex digits: a stable file-name-safe key. */
function fnv64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** The identity of a process: `NODE.HASH` of its node and command (safe as a file name: node names are [a-z0-9-]). */
export function processKey(node: string, command: string): string {
  return `${node}.${fnv64(`${node}\u0000${command}`)}`;
}

/** A process the lab wants. */
export interface DesiredProcess {
  node: string;
  /** Kernel name of the node's namespace. */
  ns: string;
  name: string;
  command: string;
  key: string;
}

/** A process as recorded by the engine (what runs, or ran, now). */
export interface RunningProcess {
  node: string;
  ns: string;
  name: string;
  command: string;
  key: string;
  state: 'running' | 'exited';
  /** The supervising process's pid (present while recorded). */
  pid?: number;
  /** Exit status once exited (128+n for a signal), when known. */
  code?: number;
}

/** Every process lab `lab` wants, by node then list order, then its DNS servers (dns.ts). Call only on a validated lab. */
export function desiredProcesses(lab: Lab, prefix: string): DesiredProcess[] {
  return [
    ...runProcesses(lab, prefix),
    ...dnsProcesses(lab, prefix).map((p) => ({ ...p, key: processKey(p.node, p.command) })),
  ];
}

/** The processes of the nodes' `run:` lines. */
function runProcesses(lab: Lab, prefix: string): DesiredProcess[] {
  const out: DesiredProcess[] = [];
  for (const node of Object.keys(lab.nodes).sort()) {
    const spec = lab.nodes[node]!;
    if (isBridge(spec)) continue;
    const ns = namespaceName(prefix, lab.name, node);
    (spec.run ?? []).forEach((line, i) => {
      const command = runCommand(line);
      out.push({ node, ns, name: runName(line, i), command, key: processKey(node, command) });
    });
  }
  return out;
}

export interface PlanProcessesOptions {
  /** Namespaces this apply deletes or makes again: what ran there is gone, so it is started anew. */
  replaced?: ReadonlySet<string>;
}

/**
 * The operations from `running` to `desired`: `unprocess` stops (first stage) and `process` starts
 * (last stage), each sorted by namespace then key, so plans are deterministic.
 */
export function planProcesses(
  desired: readonly DesiredProcess[],
  running: readonly RunningProcess[],
  opts: PlanProcessesOptions = {},
): Op[] {
  const replaced = opts.replaced ?? new Set<string>();
  const wanted = new Map(desired.map((d) => [d.key, d]));
  const keep = new Set<string>();
  const stops: Op[] = [];
  for (const r of running) {
    const d = wanted.get(r.key);
    if (d && d.ns === r.ns && r.state === 'running' && !replaced.has(r.ns)) {
      keep.add(r.key);
      continue;
    }
    const reason =
      r.state === 'exited'
        ? `it exited${r.code === undefined ? '' : ` with status ${r.code}`}: its record is cleared${d ? ' and it is started again' : ''}`
        : replaced.has(r.ns)
          ? `node ${r.node}'s namespace is deleted${d ? ' and made again' : ''}`
          : `line ${r.name} of node ${r.node} was removed or changed`;
    stops.push(processOp('unprocess', 'remove', r, reason, r.pid));
  }
  const starts = desired
    .filter((d) => !keep.has(d.key))
    .map((d) => processOp('process', 'add', d, `node ${d.node} runs ${d.name}`));
  const order = (a: Op, b: Op) => a.ns.localeCompare(b.ns) || a.args[1]!.localeCompare(b.args[1]!);
  return [...stops.sort(order), ...starts.sort(order)];
}

function processOp(
  phase: 'process' | 'unprocess',
  action: 'add' | 'remove',
  p: { node: string; ns: string; name: string; command: string; key: string },
  reason: string,
  pid?: number,
): Op {
  return {
    phase,
    tool: 'process',
    ns: p.ns,
    // [verb, key, command]: never given to a shell by Patchbay (the command is `sh -c`'s argument
    // inside the sandbox); shown quoted by opCommand.
    args: [phase === 'process' ? 'start' : 'stop', p.key, p.command],
    ...(pid !== undefined ? { pid } : {}),
    kind: 'process',
    action,
    subject: { node: p.node, detail: p.name },
    reason,
  };
}

/** Kernel ops and process ops in the order they run: stops, then the kernel's, then starts. */
export function withProcessOps(kernelOps: readonly Op[], processOps: readonly Op[]): Op[] {
  return [
    ...processOps.filter((o) => o.phase === 'unprocess'),
    ...kernelOps,
    ...processOps.filter((o) => o.phase === 'process'),
  ];
}

export { processCommand, scriptLogFile, shellQuote } from './run-command.js';
