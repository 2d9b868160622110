// A running lab written out: as a lab file (`patchbay export`), or as the shell commands that
// build it from nothing (`export --script`, POST /api/script).
import {
  type Lab,
  type Op,
  compile,
  desiredCni,
  desiredProcesses,
  desiredResolvFiles,
  diff,
  labToYaml,
  opCommand,
  plan,
  planCni,
  planProcesses,
  planResolvFiles,
  withCniOps,
} from '@patchbay/topology';
import type { Engine } from './engine.js';
import { EngineError } from './errors.js';

/** The running lab as a lab file (the last revision applied). */
export async function exportLab(engine: Engine, name: string): Promise<string> {
  const entry = await engine.entry(name);
  if (!entry.lab) throw new EngineError('not-found', `lab ${name} has never been applied successfully`);
  return labToYaml(entry.lab);
}

/** The commands that build the lab from nothing: a plan against an empty kernel. */
export function scriptFor(lab: Lab, prefix: string): string {
  const ipamDir = scriptIpamDir(prefix, lab.name);
  const ops: Op[] = withCniOps(
    [
      ...plan(diff(compile(lab, prefix), { namespaces: {} })).ops,
      // resolver files (dns:), then `run:` processes and DNS servers last, as the engine starts them
      // (the script runs them as root, unsandboxed: it says so)
      ...planResolvFiles(desiredResolvFiles(lab, prefix), []),
      ...planProcesses(desiredProcesses(lab, prefix), []),
    ],
    // CNI ADDs once every node is wired, before the processes (host-local keeps its state in ipamDir)
    planCni(desiredCni(lab, prefix, ipamDir), []),
  );
  const cni = ops.some((o) => o.tool === 'cni');
  const lines = [
    '#!/bin/sh',
    `# Lab ${lab.name}, as the commands Patchbay runs to build it from nothing (prefix ${JSON.stringify(prefix)}).`,
    '# Remove it with: ' +
      [
        ...new Set(ops.filter((o) => o.tool === 'netns').map((o) => `ip netns del ${o.args[2]}`)),
        ...(cni ? [`rm -rf ${ipamDir}`] : []),
      ].join('; '),
    'set -e',
  ];
  let phase = '';
  for (const op of ops) {
    if (op.phase !== phase) lines.push('', `# ${op.phase}`);
    phase = op.phase;
    lines.push(scriptLine(op));
  }
  return lines.join('\n') + '\n';
}

/** Where a script's host-local IPAM keeps its state (the engine's is under its data directory). */
export const scriptIpamDir = (prefix: string, lab: string): string => `/run/patchbay-cni/${prefix}${lab}`;

/**
 * One op as a script line. A `netlink` op is the `ip` line a newer iproute2 (6.8+) takes; an older
 * one refuses the keyword, so the script says so and goes on (under `set -e`) with that cap unset.
 */
function scriptLine(op: Op): string {
  if (op.tool !== 'netlink') return opCommand(op);
  const line = `ip -n ${op.ns} ${op.args.join(' ')}`;
  const what = `${op.args.slice(-2).join(' ')} on ${op.subject.iface ?? op.args[3]}`;
  return `# iproute2 6.1 lacks this keyword; Patchbay sets it over netlink (IFLA_BR_FDB_MAX_LEARNED)\n${line} || echo 'this iproute2 cannot set ${what} (needs 6.8+): left unset' >&2`;
}

export async function exportScript(engine: Engine, name: string): Promise<string> {
  const entry = await engine.entry(name);
  if (!entry.lab) throw new EngineError('not-found', `lab ${name} has never been applied successfully`);
  return scriptFor(entry.lab, engine.prefix);
}
