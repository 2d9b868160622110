// What an agent reports of itself at each heartbeat (and the local agent in GET /api/agents): its
// labs, their namespaces, and the host's headroom. Read from the engine's journal and the kernel's
// own figures (load average, MemAvailable): nothing is spawned.
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { Engine } from '@patchbay/engine';
import type { AgentHeadroom } from '@patchbay/protocol';

export interface AgentLoad {
  labs: string[];
  namespaces: number;
  headroom: AgentHeadroom;
}

export function headroom(): AgentHeadroom {
  const n = Math.max(1, cpus().length);
  const load1 = loadavg()[0] ?? 0;
  return {
    cpus: n,
    load1: Math.round(load1 * 100) / 100,
    cpuFree: Math.max(0, Math.round((n - load1) * 100) / 100),
    memoryFreeBytes: freemem(), // MemAvailable on Linux
    memoryTotalBytes: totalmem(),
  };
}

export async function agentLoad(engine: Engine): Promise<AgentLoad> {
  const labs = await engine.list();
  return {
    labs: labs.map((l) => l.name).sort(),
    namespaces: labs.reduce((n, l) => n + l.namespaces, 0),
    headroom: headroom(),
  };
}
