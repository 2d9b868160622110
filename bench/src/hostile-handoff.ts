// In the students' process (class-client.ts): the hostile students leave it. Each one's socket is
// closed here (the server ends its terminal and ping), and its token goes to a process of its own
// (hostile-students.ts), run at the lowest CPU priority like the flooding client: an attacker's own
// CPU is its machine's, and what its socket receives is not the measuring process's to handle.
// Only the hostile run hands students off; in the calm run the same four work in this process as
// before, so the figures of past runs stay comparable.
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import type { HostileOptions } from './class-hostile.js';
import type { HostileStudentsConfig } from './hostile-students.js';
import { sleep, type Config, type HostileRole, type Student } from './class-student.js';

let child: ChildProcess | undefined;

function nextMessage<T>(c: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    c.once('message', (m) => resolve(m as T));
    c.once('exit', (code) => reject(new Error(`the hostile students' process exited (${code})`)));
  });
}

/** Hands the students given a role over to their own process; resolves once their attacks are under way. */
export async function handOffHostiles(
  cfg: Config,
  students: Student[],
  roles: Record<string, HostileRole>,
  options: HostileOptions,
  peer: string,
): Promise<{ started: unknown[] }> {
  const attackers: HostileStudentsConfig['attackers'] = [];
  for (const [index, role] of Object.entries(roles)) {
    const s = students.find((x) => x.index === Number(index));
    if (!s?.lab || !s.token) continue;
    s.role = role; // out of the steady and fix phases from now on
    s.sock?.disconnect();
    attackers.push({ index: s.index, lab: s.lab, token: s.token, role });
  }
  await sleep(300); // the server has ended their terminals before the new sockets open new ones
  const config: HostileStudentsConfig = { cfg, attackers, options, peer };
  child = fork(join(import.meta.dirname, 'hostile-students.js'), [JSON.stringify(config)], { stdio: 'inherit' });
  if (child.pid !== undefined) setPriority(child.pid, 19);
  const m = await nextMessage<{ started?: unknown[]; error?: string }>(child);
  if (m.error) throw new Error(`hostile students: ${m.error}`);
  return { started: m.started ?? [] };
}

/** Ends the attacks (the process stops its loops and sends Ctrl-C); resolves with its counts. */
export async function calmHandedOff(): Promise<Record<string, unknown>> {
  if (!child) return {};
  const c = child;
  child = undefined;
  const answer = nextMessage<{ counts: Record<string, unknown>; errors: string[] }>(c);
  c.send({ cmd: 'calm' });
  const m = await answer;
  return { ...m.counts, ...(m.errors.length ? { errors: m.errors } : {}) };
}
