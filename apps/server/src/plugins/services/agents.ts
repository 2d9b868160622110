// The agents (lab hosts) as a service: `app.agents` (registry.ts), the agent link the `agent`
// routes check and the coordinator calls agents with (plugins/services/auth.ts, agents/agent-client.ts):
// PATCHBAY_AGENT_SECRET, the mTLS certificates (PATCHBAY_AGENT_TLS_*: agents/tls.ts), or both.
// Without either the coordinator takes no agent and holds every lab itself (the in-process local
// agent): one host, as before. On an agent's own app, `callerCertificates` says its API needs a
// coordinator's certificate.
import fp from 'fastify-plugin';
import type { AgentLink } from '../../agents/agent-client.js';
import { AGENT_DEFAULTS, AgentRegistry, type AgentRegistryOptions } from '../../agents/registry.js';
import { agentSecretProblem } from '../../agents/secret.js';
import { Placement } from '../../agents/placement.js';
import type { AgentTls, CallerCertificates } from '../../agents/tls.js';

export interface AgentsOptions extends Partial<AgentRegistryOptions> {
  /** PATCHBAY_AGENT_SECRET: agents prove themselves with it (at least 128 bits). */
  agentSecret?: string;
  /** PATCHBAY_AGENT_TLS_*: this coordinator's certificate for agents (its agent port: agents/agent-listener.ts). */
  agentTls?: AgentTls;
  /** This app is an agent's API served over mTLS. */
  callerCertificates?: CallerCertificates;
  /** This app is an agent's API (`patchbay agent`). */
  agentApi?: boolean;
}

export default fp<AgentsOptions>(
  async (app, opts) => {
    if (opts.agentSecret !== undefined) {
      const problem = agentSecretProblem(opts.agentSecret);
      if (problem) throw new Error(problem);
    }
    const { agentSecret, agentTls, callerCertificates, agentApi, ...given } = opts;
    const options = { ...AGENT_DEFAULTS, ...given };
    if (options.lostAfterMs <= options.heartbeatMs)
      throw new Error('an agent is lost only after more than one heartbeat period');
    const link: AgentLink | undefined =
      agentSecret === undefined && agentTls === undefined
        ? undefined
        : { ...(agentSecret !== undefined ? { secret: agentSecret } : {}), ...(agentTls ? { tls: agentTls } : {}) };
    app.decorate('agentLink', link);
    app.decorate('callerCertificates', callerCertificates);
    app.decorate('agentApi', agentApi === true);
    const registry = new AgentRegistry(app.store, app.engine, options);
    app.decorate('agents', registry);
    app.decorate('placement', new Placement(app.store, app.engine, registry, link !== undefined));
  },
  { name: 'agents', dependencies: ['store', 'engine'] },
);
