// Processes and CPU for `pnpm bench:class`: the server's helper processes are its descendants (the
// students' process excluded), their memory from /proc/PID/smaps_rollup, the machine's CPU from /proc/stat.
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime + cutime + cstime: its own CPU and that of its children it has reaped (the spawner's short-lived commands). */
  ticks: number;
}

function readProcs(): Map<number, ProcInfo> {
  const all = new Map<number, ProcInfo>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      all.set(Number(d), {
        pid: Number(d),
        ppid: Number(f[1]),
        comm,
        ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]),
      });
    } catch {
      // exited meanwhile
    }
  }
  return all;
}

/** This process's descendants, without the subtree of `exclude` (the students' process). */
export function descendants(exclude: number | undefined): ProcInfo[] {
  const all = readProcs();
  const children = new Map<number, ProcInfo[]>();
  for (const p of all.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const stack = [...(children.get(process.pid) ?? [])];
  while (stack.length) {
    const p = stack.pop()!;
    if (p.pid === exclude) continue;
    out.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

function memOf(pid: number): { rss: number; pss: number } {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? 0) * 1024;
    return { rss: kb('Rss'), pss: kb('Pss') };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

export interface HelperSample {
  count: number;
  rss: number;
  pss: number;
  /** Per command name: how many, and their RSS. */
  byName: Record<string, { count: number; rss: number }>;
}

export function helpers(exclude: number | undefined): HelperSample {
  const s: HelperSample = { count: 0, rss: 0, pss: 0, byName: {} };
  for (const p of descendants(exclude)) {
    const m = memOf(p.pid);
    s.count++;
    s.rss += m.rss;
    s.pss += m.pss;
    const e = (s.byName[p.comm] ??= { count: 0, rss: 0 });
    e.count++;
    e.rss += m.rss;
  }
  return s;
}

/** Busy and total jiffies of the whole machine (/proc/stat). */
export function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), total };
}
