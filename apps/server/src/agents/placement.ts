// Where a lab lives: on the coordinator's local agent (in-process, `app.engine`) or on a remote
// agent, recorded in the store's placements so that every coordinator replica sends the lab's
// operations to the same agent. A new lab goes to the agent with the most headroom: the fewest labs
// placed per CPU it reports, then the most memory available, then by name (a fixed order, so two
// placements at once on one state agree). Never a draining or lost agent, nor one with less than
// MIN_MEMORY_BYTES available. Labs applied before any placement was recorded (a server upgraded
// with labs running) are the local agent's.
import type { Engine } from '@patchbay/engine';
import { HttpError } from '../http-error.js';
import type { AgentRecord, Store } from '../store/store.js';
import type { AgentRegistry } from './registry.js';
import { headroom } from './report.js';

export type Holder = { kind: 'local'; name: string } | { kind: 'remote'; name: string; agent: AgentRecord };

/** An agent with less memory available takes no new lab. */
export const MIN_MEMORY_BYTES = 128 * 1024 * 1024;

interface Candidate {
  holder: Holder;
  cpus: number;
  memoryFreeBytes: number;
}

export class Placement {
  constructor(
    private readonly store: Store,
    private readonly engine: Engine,
    private readonly registry: AgentRegistry,
    /** Whether remote agents may register (an agent link: PATCHBAY_AGENT_SECRET or PATCHBAY_AGENT_TLS_*); without, every lab is local. */
    private readonly remote: boolean,
  ) {}

  /** The name of the agent holding `lab` (what GET /api/labs and the session views say). */
  async agentNameOf(lab: string): Promise<string | undefined> {
    if (!this.remote) return this.registry.localName;
    return (await this.holderOf(lab))?.name ?? this.registry.localName;
  }

  /** The agent holding `lab`, or undefined for a lab no agent holds. */
  async holderOf(lab: string): Promise<Holder | undefined> {
    const placed = await this.store.agents.agentOf(lab);
    const local = this.registry.localName;
    if (placed === undefined) {
      if (local === undefined) return undefined;
      return (await this.engine.journal.read(lab)) ? { kind: 'local', name: local } : undefined;
    }
    if (placed === local) return { kind: 'local', name: local };
    const agent = await this.store.agents.get(placed);
    // A placement on an agent no longer registered (its row removed by hand): no holder.
    return agent ? { kind: 'remote', name: placed, agent } : undefined;
  }

  /** Chooses the agent a new lab `lab` goes to (recorded unless `tentative`: a dry run). */
  async place(lab: string, tentative = false): Promise<Holder> {
    const chosen = await this.choose();
    if (tentative) return chosen;
    const name = await this.store.agents.place(lab, chosen.name);
    if (name === chosen.name) return chosen;
    // Another coordinator placed it first: go where it went.
    const holder = await this.holderOf(lab);
    if (!holder) throw new HttpError(503, 'no-agent', `lab ${lab} was placed on ${name}, which is not registered`);
    return holder;
  }

  /** The agent a new lab would go to now (503 no-agent when none may take one). */
  async choose(): Promise<Holder> {
    const now = Date.now();
    const candidates: Candidate[] = [];
    const local = this.registry.localName;
    if (local !== undefined) {
      const h = headroom();
      candidates.push({ holder: { kind: 'local', name: local }, cpus: h.cpus, memoryFreeBytes: h.memoryFreeBytes });
    }
    for (const agent of await this.store.agents.list()) {
      if (agent.state !== 'ready' || this.registry.isLost(agent, now)) continue;
      candidates.push({
        holder: { kind: 'remote', name: agent.name, agent },
        cpus: agent.headroom.cpus,
        memoryFreeBytes: agent.headroom.memoryFreeBytes,
      });
    }
    const usable = candidates.filter((c) => c.memoryFreeBytes >= MIN_MEMORY_BYTES);
    if (usable.length === 0)
      throw new HttpError(
        503,
        'no-agent',
        'no agent can take a new lab: every agent is draining, lost or out of memory (GET /api/agents)',
      );
    const perCpu = new Map<string, number>();
    for (const c of usable) {
      let n = (await this.store.agents.labsOn(c.holder.name)).length;
      // The local agent's labs from before placements were recorded count too.
      if (c.holder.kind === 'local') n = Math.max(n, (await this.engine.journal.list()).length);
      perCpu.set(c.holder.name, n / Math.max(1, c.cpus));
    }
    usable.sort(
      (a, b) =>
        perCpu.get(a.holder.name)! - perCpu.get(b.holder.name)! ||
        b.memoryFreeBytes - a.memoryFreeBytes ||
        a.holder.name.localeCompare(b.holder.name),
    );
    return usable[0]!.holder;
  }
}
