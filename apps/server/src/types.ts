// What the plugins add to Fastify's types: the services (`engine`, `store`, `auth`) and a route's
// `config` (who may call it: plugins/services/auth.ts reads it).
import type { CpuHogGuard, Engine } from '@patchbay/engine';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteAccess } from '@patchbay/protocol';
import type { AuthService, Scope } from './plugins/services/auth.js';
import type { Store } from './store/store.js';
import type { LiveServer } from './plugins/services/live.js';
import type { TablesHub } from './live/tables.js';
import type { CaptureHub } from './live/captures.js';
import type { Limits, Quotas } from './limits.js';
import type { HostPolicy } from './request-origin.js';
import type { Activity } from './plugins/services/reaper.js';
import type { LabProcesses } from './live/lab-processes.js';
import type { TerminalHub } from './live/terminals.js';
import type { ExerciseHub } from './classroom/exercises.js';
import type { Classroom } from './classroom/sessions.js';
import type { AgentRegistry } from './agents/registry.js';
import type { Placement } from './agents/placement.js';
import type { AgentLink } from './agents/agent-client.js';
import type { CallerCertificates } from './agents/tls.js';

/** A forwarded route's own check, on the coordinator, before the agent answers (lab-forward.ts). */
export type ForwardGuard = (req: FastifyRequest, reply: FastifyReply, lab: string) => Promise<void> | void;
/** A forwarded route's answer from its agent (`prefix`: the agent's namespace prefix), as the caller gets it. */
export type ForwardedAnswer = (req: FastifyRequest, answer: unknown, agent: { prefix: string }) => unknown;

declare module 'fastify' {
  interface FastifyInstance {
    engine: Engine;
    /** Labs held at their CPU ceiling, demoted to the idle CPU class (engine cpu-hog-guard.ts). */
    cpuHogs: CpuHogGuard;
    store: Store;
    auth: AuthService;
    /** socket.io for the live streams. */
    io: LiveServer;
    /** Whether socket.io's Redis adapter links this coordinator to other replicas (PATCHBAY_REDIS). */
    replicated: boolean;
    /** The live tables' per-lab namespace watchers. */
    tables: TablesHub;
    /** Rate limits and quotas (PATCHBAY_LIMITS over the defaults). */
    limits: Limits;
    quotas: Quotas;
    /** Takes one request from `key`'s REST bucket: undefined, or the seconds to wait when it is empty. */
    requestLimit(key: string): number | undefined;
    /**
     * Waits `refusalDelayMs` before a rate-limit refusal of `key` is answered: true; false at once
     * when `key` (or the server) already holds as many refusals as allowed: then close the connection.
     */
    holdRefusal(key: string): Promise<boolean>;
    /** Student activity, and the reaper of idle student labs. */
    activity: Activity;
    /** Packet captures: running and ended (kept for download). */
    captures: CaptureHub;
    /** Pings, captures and terminals running in lab namespaces, stopped before those namespaces go away. */
    labProcesses: LabProcesses;
    /** Browser terminals (shells in node sandboxes). */
    terminals: TerminalHub;
    /** Exercise check runs, their live results, and the watch on exercise labs. */
    exercises: ExerciseHub;
    /** Class sessions: create, join, end. */
    classroom: Classroom;
    /** The lab hosts (agents): the local one and the registered ones. */
    agents: AgentRegistry;
    /** Which agent holds a lab, and where a new one goes. */
    placement: Placement;
    /** How coordinator and agents prove themselves: the secret, mTLS or both (undefined: this coordinator takes no agent). */
    agentLink: AgentLink | undefined;
    /** An agent's API with mTLS: the coordinator certificate its callers must present (plugins/services/auth.ts). */
    callerCertificates: CallerCertificates | undefined;
    /** This app is an agent's API (`patchbay agent`): its instructor is its coordinators, whose requests it does not rate-limit. */
    agentApi: boolean;
    /** Which Host and Origin headers are answered (request-origin.ts). */
    hostPolicy: HostPolicy;
    /** Every /api route served, as "METHOD /path" (each one is an entry of the protocol's route table). */
    apiRoutes: readonly string[];
  }
  interface FastifyRequest {
    /** Who is asking; set by the auth hook on every route but public ones. */
    scope?: Scope;
  }
  interface FastifyContextConfig {
    /**
     * Who may call the route (the route table's `access`); set on every route registered, so the
     * guards never look at the request's URL. Undefined only for a request no route matched.
     */
    access?: RouteAccess;
    /** The body is a lab document: bounded before it is parsed (plugins/services/documents.ts). */
    document?: boolean;
    /** Counted by the REST rate limit (all but /api/health). */
    rateLimited?: boolean;
    /** A lab operation passed to the lab's agent when a remote agent holds it (plugins/services/lab-forward.ts). */
    forwarded?: boolean;
    /** Checked on the coordinator before the request goes to the agent (a student's quota). */
    beforeForward?: ForwardGuard;
    /** The agent's JSON answer as the caller gets it. */
    forwardedAnswer?: ForwardedAnswer;
  }
}
