// The hostile students of `pnpm bench:hostile`, in their own process (hostile-students.ts): four
// students of the class stop working and attack from their own lab, in a terminal in the scenario's
// solution node, and on their socket. Every attack is bounded in size and time by itself (a `timeout`
// around it), whatever limits the server enforces, so that it never threatens the machine:
// - fork-bomb: a fork tree of depth D (2^(D+1)−1 shells, each with a `sleep 3` child), started
//   again and again: at most ~2 × 2^(D+2) processes at a time (D = 7: ~1,000), never unbounded;
// - memory-hog: python3 allocating and touching N MiB, held, started again if it is killed;
// - mac-flood: python3 sending M broadcast frames from random source MACs on eth0 (a raw socket:
//   the node has CAP_NET_RAW), as fast as it can, so its bridge learns M addresses;
// - capture-loop: capture:start on eth0 / wait / capture:stop, over and over, while a ping at 500/s
//   of 1400-byte packets fills each capture's ring.
import { randomUUID } from 'node:crypto';
import { now, sleep, type as typeLine, type Config, type HostileRole, type Student } from './class-student.js';

export interface HostileOptions {
  /** How long each attack lasts at most (its `timeout`). */
  seconds: number;
  forkDepth: number;
  hogMiB: number;
  macs: number;
  /** How long each capture of the capture loop runs. */
  captureMs: number;
}

/** The command a hostile student types (one line, for its interactive bash). */
export function hostileCommand(role: Exclude<HostileRole, 'capture-loop'>, o: HostileOptions): string {
  const t = Math.ceil(o.seconds);
  if (role === 'fork-bomb')
    return `timeout ${t} bash -c 'F(){ [ $1 -gt 0 ] && { F $(($1-1)) & F $(($1-1)) & }; sleep 3; }; while :; do F ${o.forkDepth}; wait; done' 2>/dev/null`;
  if (role === 'memory-hog')
    return (
      `end=$((SECONDS+${t})); while [ $SECONDS -lt $end ]; do timeout $((end-SECONDS)) /usr/bin/python3 -c ` +
      `"import time; b = b'x' * (${o.hogMiB} << 20); time.sleep(3600)"; sleep 1; done`
    );
  return (
    `ip link set eth0 up; timeout ${t} /usr/bin/python3 -c "import socket, os; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); ` +
    `s.bind(('eth0', 0)); [s.send(b'\\xff' * 6 + bytes([2]) + os.urandom(5) + b'\\x08\\x06' + bytes(46)) for _ in range(${o.macs})]"`
  );
}

interface LoopCounts {
  started: number;
  refused: number;
  refusals: Record<string, number>;
}

let stopping = false;
const loops: Promise<void>[] = [];
const counts: LoopCounts = { started: 0, refused: 0, refusals: {} };

/** Gives the students their roles and starts the attacks; resolves once they are under way. */
export function startHostiles(
  cfg: Config,
  students: Student[],
  roles: Record<string, HostileRole>,
  o: HostileOptions,
  peer: string,
) {
  stopping = false;
  const started: { lab: string; role: HostileRole; command?: string }[] = [];
  for (const [index, role] of Object.entries(roles)) {
    const s = students.find((x) => x.index === Number(index));
    if (!s?.sock?.connected || !s.termId) continue;
    s.role = role;
    if (role === 'capture-loop') {
      const command = `ip link set eth0 up; timeout ${Math.ceil(o.seconds)} ping -q -i 0.002 -s 1400 ${peer}`;
      typeLine(s, command);
      loops.push(captureLoop(cfg, s, o));
      started.push({ lab: s.lab!, role, command });
    } else {
      const command = hostileCommand(role, o);
      typeLine(s, command);
      started.push({ lab: s.lab!, role, command });
    }
  }
  return { started };
}

async function captureLoop(cfg: Config, s: Student, o: HostileOptions): Promise<void> {
  await sleep(500);
  while (!stopping) {
    const id = randomUUID();
    const t0 = now();
    try {
      const ack = await s.sock!.timeout(10_000).emitWithAck('capture:start', {
        id,
        lab: s.lab!,
        node: cfg.plan.terminalNode,
        interface: 'eth0',
      });
      if (ack.ok) counts.started++;
      else {
        counts.refused++;
        const why = ack.error.replace(/[0-9a-f-]{36}/g, 'ID').slice(0, 80);
        counts.refusals[why] = (counts.refusals[why] ?? 0) + 1;
      }
      await sleep(o.captureMs);
      s.sock!.emit('capture:stop', { id });
    } catch (err) {
      counts.refused++;
      const why = (err as Error).message.slice(0, 80);
      counts.refusals[why] = (counts.refusals[why] ?? 0) + 1;
    }
    await sleep(Math.max(0, t0 + o.captureMs + 100 - now()));
  }
}

/** Ends the attacks: the capture loops stop, each hostile terminal gets Ctrl-C (their `timeout` ends the rest). */
export async function calmHostiles(students: Student[]): Promise<LoopCounts> {
  stopping = true;
  await Promise.all(loops.splice(0));
  for (const s of students)
    if (s.role && s.sock?.connected && s.termId) s.sock.emit('terminal:input', { id: s.termId, data: '\x03' });
  return { ...counts, refusals: { ...counts.refusals } };
}
