// The agents (lab hosts) as a service: `app.agents` (registry.ts) and the agent secret the `agent`
// routes check (plugins/services/auth.ts). Without PATCHBAY_AGENT_SECRET the coordinator takes no
// agent and holds every lab itself (the in-process local agent): one host, as before.
import fp from 'fastify-plugin';
import { AGENT_DEFAULTS, AgentRegistry, type AgentRegistryOptions } from '../../agents/registry.js';
import { agentSecretProblem } from '../../agents/secret.js';
import { Placement } from '../../agents/placement.js';

export interface AgentsOptions extends Partial<AgentRegistryOptions> {
  /** PATCHBAY_AGENT_SECRET: agents prove themselves with it (at least 128 bits). */
  agentSecret?: string;
}

export default fp<AgentsOptions>(
  async (app, opts) => {
    if (opts.agentSecret !== undefined) {
      const problem = agentSecretProblem(opts.agentSecret);
      if (problem) throw new Error(problem);
    }
    const { agentSecret, ...given } = opts;
    const options = { ...AGENT_DEFAULTS, ...given };
    if (options.lostAfterMs <= options.heartbeatMs)
      throw new Error('an agent is lost only after more than one heartbeat period');
    app.decorate('agentSecret', agentSecret);
    const registry = new AgentRegistry(app.store, app.engine, options);
    app.decorate('agents', registry);
    app.decorate('placement', new Placement(app.store, app.engine, registry, agentSecret !== undefined));
  },
  { name: 'agents', dependencies: ['store', 'engine'] },
);
