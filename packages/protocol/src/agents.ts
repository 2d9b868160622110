// The agent protocol: what a lab host (`patchbay agent`) says to its coordinator (`patchbay serve`)
// and what the coordinator answers, and what an instructor sees of the agents (GET /api/agents).
// Versioned: every heartbeat carries AGENT_PROTOCOL_VERSION and a coordinator refuses another, so a
// coordinator and an agent of different releases never half-understand each other.
import { Type, type Static } from '@sinclair/typebox';

/** The version of the agent protocol this release speaks; a change of any message below bumps it. */
export const AGENT_PROTOCOL_VERSION = 1;

/** An agent's name: a DNS label or name (a Kubernetes node name fits), 1 to 63 characters. */
export const AGENT_NAME_PATTERN = '^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$';
export const AgentNameSchema = Type.String({ pattern: AGENT_NAME_PATTERN, maxLength: 63 });

/** What an agent places no lab in (`draining`) or takes new labs (`ready`); `lost`: no heartbeat for too long. */
export const AgentStateSchema = Type.Union([Type.Literal('ready'), Type.Literal('draining'), Type.Literal('lost')]);
export type AgentState = Static<typeof AgentStateSchema>;

/** What the host has left, as the agent measures it at each heartbeat (placement reads it). */
export const AgentHeadroomSchema = Type.Object(
  {
    cpus: Type.Integer({ minimum: 1, description: 'CPUs of the host.' }),
    load1: Type.Number({ minimum: 0, description: 'The 1-minute load average.' }),
    cpuFree: Type.Number({ minimum: 0, description: 'CPUs left: cpus − load1, at least 0.' }),
    memoryFreeBytes: Type.Integer({ minimum: 0, description: 'Memory available (MemAvailable).' }),
    memoryTotalBytes: Type.Integer({ minimum: 0 }),
  },
  { title: 'AgentHeadroom' },
);
export type AgentHeadroom = Static<typeof AgentHeadroomSchema>;

/** A heartbeat: an agent registers with its first and says it is alive with each next (every ~2 s). */
export const AgentHeartbeatSchema = Type.Object(
  {
    protocol: Type.Integer({ minimum: 1, description: 'AGENT_PROTOCOL_VERSION of the agent.' }),
    name: AgentNameSchema,
    address: Type.String({
      pattern: '^https?://[^\\s/]+$',
      maxLength: 300,
      description: 'Where coordinators reach the agent API (http://host:7071).',
    }),
    state: Type.Union([Type.Literal('ready'), Type.Literal('draining')]),
    prefix: Type.String({ maxLength: 32, description: "The agent's PATCHBAY_PREFIX." }),
    labs: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 100_000 }),
    namespaces: Type.Integer({ minimum: 0 }),
    headroom: AgentHeadroomSchema,
  },
  { title: 'AgentHeartbeat', additionalProperties: false },
);
export type AgentHeartbeat = Static<typeof AgentHeartbeatSchema>;

/** The coordinator's answer: how often to beat, and after how long without a beat it calls the agent lost. */
export const AgentHeartbeatReplySchema = Type.Object(
  {
    protocol: Type.Integer(),
    heartbeatMs: Type.Integer({ minimum: 100 }),
    lostAfterMs: Type.Integer({ minimum: 100 }),
    release: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'Labs the agent reported that now live on another agent (it was lost and their students moved): the agent destroys them.',
      }),
    ),
  },
  { title: 'AgentHeartbeatReply' },
);
export type AgentHeartbeatReply = Static<typeof AgentHeartbeatReplySchema>;

/** An agent as GET /api/agents shows it. */
export const AgentSchema = Type.Object(
  {
    name: Type.String(),
    address: Type.String({ description: 'Where coordinators reach it; `in-process` for the local agent.' }),
    local: Type.Boolean({ description: "The coordinator's own in-process agent." }),
    state: AgentStateSchema,
    prefix: Type.String(),
    labs: Type.Array(Type.String()),
    namespaces: Type.Integer(),
    headroom: AgentHeadroomSchema,
    registeredAt: Type.String(),
    lastSeenAt: Type.String(),
  },
  { title: 'Agent' },
);
export type Agent = Static<typeof AgentSchema>;

export const AgentListSchema = Type.Object({ agents: Type.Array(AgentSchema) }, { title: 'AgentList' });
export type AgentList = Static<typeof AgentListSchema>;
