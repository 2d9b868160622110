// GET /api/labs over every agent: the local engine's labs and each remote agent's (asked in
// parallel over the agent link: secret, certificates or both), each saying which agent holds it. An agent that is lost, or that
// does not answer, leaves its labs out (GET /api/agents still lists them with the agent); the
// listing never waits long for one agent.
import type { LabSummary } from '@patchbay/protocol';
import type { FastifyInstance } from 'fastify';
import { agentJson } from './agent-client.js';

export async function allLabs(app: FastifyInstance): Promise<LabSummary[]> {
  const local = app.agents.localName;
  const own = (await app.engine.list()).map((l) => (local ? { ...l, agent: local } : l));
  const link = app.agentLink;
  if (link === undefined) return own;
  const now = Date.now();
  const remote = (await app.store.agents.list()).filter((a) => !app.agents.isLost(a, now));
  const theirs = await Promise.all(
    remote.map(async (agent) => {
      try {
        const { labs } = await agentJson<{ labs: LabSummary[] }>(agent, link, '/api/labs');
        return labs.map(({ student: _student, ...l }) => ({ ...l, agent: agent.name }));
      } catch (e) {
        app.log.warn({ agent: agent.name, err: (e as Error).message }, 'an agent did not list its labs');
        return [];
      }
    }),
  );
  return [...own, ...theirs.flat()].sort((a, b) => a.name.localeCompare(b.name));
}
