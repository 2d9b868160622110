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

/** Ticks per command: the server's descendants (python3 by its script) and the kernel's threads (by name, CPU suffix dropped). */
export function ticksByCommand(exclude: number | undefined): Map<string, number> {
  const by = new Map<string, number>();
  const add = (k: string, t: number) => by.set(k, (by.get(k) ?? 0) + t);
  for (const p of descendants(exclude)) add(commandKey(p), p.ticks);
  for (const p of readKernelThreads()) add(`[${p.comm.replace(/\/.*$/, '')}]`, p.ticks);
  // the commands the server ran and reaped itself (its spawns of ip, nsenter…): its cutime + cstime
  try {
    const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    add('(reaped by the server)', Number(f[13]) + Number(f[14]));
  } catch {
    // no /proc
  }
  return by;
}

function commandKey(p: ProcInfo): string {
  if (!p.comm.startsWith('python')) return p.comm;
  try {
    const argv = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0');
    const script = argv.slice(1).find((a) => a.endsWith('.py'));
    return script ? `python3 ${script.replace(/^.*\//, '')}` : argv.includes('-c') ? 'python3 -c' : p.comm;
  } catch {
    return p.comm;
  }
}

function readKernelThreads(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const f = stat.slice(close + 2).split(' ');
      if (Number(f[1]) !== 2) continue; // children of kthreadd
      out.push({
        pid: Number(d),
        ppid: 2,
        comm: stat.slice(stat.indexOf('(') + 1, close),
        ticks: Number(f[11]) + Number(f[12]),
      });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** CPU share (of one core) per command between two ticksByCommand samples, the largest first. */
export function cpuByCommand(before: Map<string, number>, after: Map<string, number>, seconds: number) {
  return [...after]
    .map(([command, t]) => ({ command, cpuShare: (t - (before.get(command) ?? 0)) / 100 / seconds }))
    .filter((x) => x.cpuShare >= 0.005)
    .sort((a, b) => b.cpuShare - a.cpuShare)
    .slice(0, 12);
}
