// The hostile students of `pnpm bench:hostile` in a process of their own: each attacker's browser is
// on its own machine, so what its socket receives (a capture's packets, a flooded bridge's deltas,
// its terminal's output) must not be paid for by the process that measures the other students'
// latencies. The students' process (class-client.ts) hands each hostile student's token over
// (hostile-handoff.ts); here it connects again as the exercise page does (exercise results, tables,
// a terminal in the scenario's solution node) and attacks from that terminal (class-hostile.ts).
// Messages from the parent: `calm` (stop, answer with the counts), then the process exits.
import { randomUUID } from 'node:crypto';
import { calmHostiles, startHostiles, type HostileOptions } from './class-hostile.js';
import {
  ackOrThrow,
  connectStudent,
  newStudent,
  PROMPT,
  waitOutput,
  within,
  type Config,
  type HostileRole,
  type Student,
} from './class-student.js';

export interface HostileStudentsConfig {
  cfg: Config;
  attackers: { index: number; lab: string; token: string; role: HostileRole }[];
  options: HostileOptions;
  peer: string;
}

const { cfg, attackers, options, peer } = JSON.parse(process.argv[2] ?? '{}') as HostileStudentsConfig;
const students: Student[] = attackers.map((a) => ({ ...newStudent(a.index), lab: a.lab, token: a.token }));
let ending = false;

async function connect(s: Student): Promise<void> {
  const c = await connectStudent(cfg.url, s, cfg.plan, () => ending);
  const subscribe = async (event: 'exercise:subscribe' | 'tables:subscribe') =>
    ackOrThrow(await within(c.emitWithAck(event, { lab: s.lab! }), 30_000, event), event);
  await subscribe('exercise:subscribe');
  await subscribe('tables:subscribe');
  s.out = '';
  s.termId = ackOrThrow(
    await within(
      c.emitWithAck('terminal:open', {
        id: randomUUID(),
        lab: s.lab!,
        node: cfg.plan.terminalNode,
        cols: 100,
        rows: 30,
      }),
      30_000,
      'terminal:open',
    ),
    'terminal:open',
  );
  await waitOutput(s, PROMPT, 30_000, 'terminal prompt');
}

process.on('message', (m: { cmd: 'calm' }) => {
  if (m.cmd !== 'calm') return;
  void (async () => {
    const counts = await calmHostiles(students);
    ending = true;
    await new Promise((r) => setTimeout(r, 300)); // Ctrl-C reaches each terminal before its socket closes
    for (const s of students) s.sock?.disconnect();
    process.send!({ counts, errors: students.flatMap((s) => s.errors) });
    process.exit(0);
  })();
});
process.on('disconnect', () => process.exit(0));

void (async () => {
  try {
    await Promise.all(students.map(connect));
    const roles = Object.fromEntries(attackers.map((a) => [String(a.index), a.role]));
    process.send!({ started: startHostiles(cfg, students, roles, options, peer).started });
  } catch (err) {
    process.send!({ error: (err as Error).stack ?? String(err) });
  }
})();
