// The agent routes (API.md, "Agents"): an instructor lists the lab hosts; an agent registers and
// beats with the agent secret (docs/deploy.md).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routes } from '@patchbay/protocol';
import { route } from './route.js';

const agents: FastifyPluginAsyncTypebox = async (app) => {
  route(app, routes.listAgents, async (req) => {
    app.auth.assertInstructor(req, 'list the agents');
    return { agents: await app.agents.list() };
  });

  // Heartbeats come every ~2 s from every agent: not counted by the REST rate limit (the secret is
  // checked first, in constant time, so a stranger's flood is still refused cheaply).
  route(app, routes.agentHeartbeat, async (req) => app.agents.heartbeat(req.body), { unlimited: true });
};
export default agents;
