// Validation of `run:` lines (run.ts). A line is the lab author's own command, run by `sh -c`
// inside the node's sandbox, so its text is not restricted beyond what keeps it one bounded line:
// not empty, at most MAX_RUN_COMMAND_LENGTH characters, no NUL (argv cannot carry one), no newline
// and no other control character but tab (a line in the plan, the panel, a terminal and
// `export --script`). Bounded in number per node and per
// lab: each is a sandbox with its own processes. Codes: run.empty, run.too-long, run.invalid-char,
// run.too-many, run.duplicate, run.name, run.bridge.
import type { Lab, RunSpec } from './model.js';
import { NAME_RE } from './naming.js';
import { MAX_RUN_COMMAND_LENGTH, MAX_RUN_PER_LAB, MAX_RUN_PER_NODE, runCommand, runName } from './run.js';

type Add = (path: string, code: string, message: string) => void;

/** Whether `text` has a control character other than tab (C0 or DEL). */
export function hasControlChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** The problems of one line's command text (the editor checks a line as it is typed). */
export function runCommandProblem(command: string): { code: string; message: string } | undefined {
  if (command.trim() === '') return { code: 'run.empty', message: 'the command is empty' };
  if (command.length > MAX_RUN_COMMAND_LENGTH)
    return {
      code: 'run.too-long',
      message: `the command is ${command.length} characters long; at most ${MAX_RUN_COMMAND_LENGTH}`,
    };
  if (hasControlChar(command))
    return {
      code: 'run.invalid-char',
      message:
        'the command must be one line without control characters: join commands with ; or && instead of newlines',
    };
  return undefined;
}

/** Checks every node's `run:` list; `add` records a problem. */
export function checkRunLines(lab: Lab, add: Add): void {
  const nodes = lab.nodes && typeof lab.nodes === 'object' ? Object.entries(lab.nodes) : [];
  let total = 0;
  for (const [node, spec] of nodes) {
    if (spec === null || typeof spec !== 'object') continue;
    const run = (spec as { run?: unknown }).run;
    if (run === undefined) continue;
    const path = `nodes.${node}.run`;
    if (spec.kind === 'bridge') {
      add(path, 'run.bridge', `${node} is a bridge: processes run in host, netns and router nodes`);
      continue;
    }
    if (!Array.isArray(run)) continue; // the structural check reports it
    total += run.length;
    if (run.length > MAX_RUN_PER_NODE)
      add(path, 'run.too-many', `node ${node} runs ${run.length} processes; at most ${MAX_RUN_PER_NODE} per node`);
    const commands = new Map<string, number>();
    const names = new Map<string, number>();
    (run as unknown[]).forEach((line, i) => {
      const at = `${path}[${i}]`;
      if (typeof line !== 'string' && (line === null || typeof line !== 'object')) return;
      const command = runCommand(line as RunSpec);
      if (typeof command !== 'string') return;
      const bad = runCommandProblem(command);
      if (bad) add(typeof line === 'string' ? at : `${at}.command`, bad.code, bad.message);
      const name = runName(line as RunSpec, i);
      if (typeof line !== 'string' && (line as { name?: unknown }).name !== undefined && !NAME_RE.test(name))
        add(`${at}.name`, 'run.name', `"${name}" must match [a-z][a-z0-9-]{0,23}`);
      const sameCommand = commands.get(command);
      if (sameCommand !== undefined)
        add(at, 'run.duplicate', `the same command as ${path}[${sameCommand}]: run it once (or tell them apart)`);
      else commands.set(command, i);
      const sameName = names.get(name);
      if (sameName !== undefined) add(at, 'run.duplicate', `the same name (${name}) as ${path}[${sameName}]`);
      else names.set(name, i);
    });
  }
  if (total > MAX_RUN_PER_LAB)
    add('nodes', 'run.too-many', `the lab runs ${total} processes; at most ${MAX_RUN_PER_LAB} per lab`);
}
