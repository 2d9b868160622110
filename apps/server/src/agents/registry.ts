// The coordinator's view of its agents (lab hosts): the in-process local agent (unless
// --no-local-agent) and the remote ones, registered in the store by their heartbeats. An agent is
// `lost` when its last heartbeat is older than `lostAfterMs`, read against the clock at each look,
// so every coordinator replica agrees without a timer of its own.
import { AGENT_PROTOCOL_VERSION, type Agent, type AgentHeartbeat, type AgentHeartbeatReply } from '@patchbay/protocol';
import type { Engine } from '@patchbay/engine';
import { HttpError } from '../http-error.js';
import type { AgentRecord, Store } from '../store/store.js';
import { agentLoad } from './report.js';

export interface AgentRegistryOptions {
  /** The local agent's name; false: this coordinator holds no lab itself (--no-local-agent). */
  localAgent: string | false;
  /** How often agents beat (told to them in each reply). */
  heartbeatMs: number;
  /** After this long without a heartbeat an agent is lost (≤ 10 s: the bound). */
  lostAfterMs: number;
}

export const AGENT_DEFAULTS: AgentRegistryOptions = { localAgent: 'local', heartbeatMs: 2000, lostAfterMs: 6000 };

export class AgentRegistry {
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly store: Store,
    private readonly engine: Engine,
    readonly options: AgentRegistryOptions,
  ) {}

  /** The local agent's name, or undefined without one. */
  get localName(): string | undefined {
    return this.options.localAgent === false ? undefined : this.options.localAgent;
  }

  /** An agent's heartbeat: registers or refreshes it; refused for another protocol version or the local agent's name. */
  async heartbeat(h: AgentHeartbeat): Promise<AgentHeartbeatReply> {
    if (h.protocol !== AGENT_PROTOCOL_VERSION)
      throw new HttpError(
        409,
        'agent-protocol',
        `this coordinator speaks agent protocol ${AGENT_PROTOCOL_VERSION}, the agent ${h.name} ${h.protocol}: run the same Patchbay release on both`,
      );
    if (h.name === this.localName)
      throw new HttpError(
        409,
        'agent-name',
        `the name ${h.name} is this coordinator's own local agent: give the agent another --name`,
      );
    await this.store.agents.beat(h);
    // A lab it still holds that was placed elsewhere meanwhile (a failover while it was lost) goes.
    const release: string[] = [];
    for (const lab of h.labs) {
      const placed = await this.store.agents.agentOf(lab);
      if (placed !== undefined && placed !== h.name) release.push(lab);
    }
    return {
      protocol: AGENT_PROTOCOL_VERSION,
      heartbeatMs: this.options.heartbeatMs,
      lostAfterMs: this.options.lostAfterMs,
      ...(release.length ? { release } : {}),
    };
  }

  /** Whether a stored agent is lost now. */
  isLost(a: AgentRecord, now = Date.now()): boolean {
    return now - Date.parse(a.lastSeenAt) > this.options.lostAfterMs;
  }

  /** Every agent, the local one first, then the registered ones by name. */
  async list(): Promise<Agent[]> {
    const now = Date.now();
    const remote: Agent[] = (await this.store.agents.list()).map((a) => ({
      name: a.name,
      address: a.address,
      local: false,
      state: this.isLost(a, now) ? 'lost' : a.state,
      prefix: a.prefix,
      labs: a.labs,
      namespaces: a.namespaces,
      headroom: a.headroom,
      registeredAt: a.registeredAt,
      lastSeenAt: a.lastSeenAt,
    }));
    const local = this.localName;
    if (local === undefined) return remote;
    const load = await agentLoad(this.engine);
    const at = new Date(now).toISOString();
    return [
      {
        name: local,
        address: 'in-process',
        local: true,
        state: 'ready',
        prefix: this.engine.prefix,
        ...load,
        registeredAt: this.startedAt,
        lastSeenAt: at,
      },
      ...remote,
    ];
  }
}
