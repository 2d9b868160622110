// Every REST route of the server as data: method, path, who may call it, the schemas of its path
// parameters, query, body and of each response by status code. The server registers its routes
// from this table (apps/server `route()`), so its validation, its OpenAPI document and its handlers'
// types come from here; the web app's client (client.ts) derives its calls from the same table.
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { CaptureListSchema, CaptureStorageSchema } from './capture.js';
import {
  CheckRunSchema,
  ExerciseViewSchema,
  HintsViewSchema,
  JoinedSchema,
  JoinInputSchema,
  ScenarioListSchema,
  ScenarioTextSchema,
  ScenarioValidateInputSchema,
  SessionCreateInputSchema,
  SessionEndedSchema,
  SessionListSchema,
  SessionSchema,
  SessionUpdateInputSchema,
  StudentRemovedSchema,
  ValidationProofSchema,
} from './classroom.js';
import {
  DraftListSchema,
  DraftPutSchema,
  DraftSavedSchema,
  DraftSchema,
  ExampleListSchema,
  ScriptResponseSchema,
} from './editor.js';
import {
  ApplyResponseSchema,
  DestroyResponseSchema,
  ErrorBodySchema,
  HealthSchema,
  KernelFeaturesSchema,
  LabDocument,
  LabListSchema,
  LabNameParamsSchema,
  LabNameSchema,
  LabStateSchema,
  ProblemsErrorSchema,
} from './labs.js';
import { STREAM_ID_PATTERN } from './live.js';
import { AgentHeartbeatReplySchema, AgentHeartbeatSchema, AgentListSchema } from './agents.js';
import { WhyQuerySchema, WhyResultSchema } from '@patchbay/topology';

/**
 * Who may call a route. public: no token (rate limited per client address); token: any valid token
 * (answers are filtered to what it covers); lab: a token covering the lab of the path (the student's
 * own, or an instructor's); instructor: the admin token; agent: the agents' shared secret
 * (PATCHBAY_AGENT_SECRET), for lab hosts talking to their coordinator (agents.ts).
 */
export type RouteAccess = 'public' | 'token' | 'lab' | 'instructor' | 'agent';

export interface RouteDef {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify's syntax: `:name` is a path parameter. */
  path: `/api/${string}`;
  summary: string;
  description?: string;
  access: RouteAccess;
  params?: TObject;
  query?: TObject;
  body?: TSchema;
  /** Request content types besides JSON's (the lab document may be YAML). */
  consumes?: readonly string[];
  /** A response that is not JSON (a file): the client gets a Blob. */
  produces?: readonly string[];
  response: { readonly [status: number]: TSchema };
  /** Left out of the OpenAPI document. */
  hide?: true;
}

export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'] as const;

const Err = ErrorBodySchema;
/** The errors every route with a token may answer. */
const tokenErrors = { 401: Err, 500: Err } as const;
const labErrors = { 401: Err, 403: Err, 404: Err, 500: Err } as const;
const instructorErrors = { 401: Err, 403: Err, 500: Err } as const;

const ApplyQuerySchema = Type.Object(
  {
    dryRun: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description: 'true: answer with the plan, change nothing.',
      }),
    ),
  },
  { additionalProperties: false },
);
const CaptureParamsSchema = Type.Object({
  name: LabNameSchema,
  id: Type.String({
    pattern: STREAM_ID_PATTERN,
    description: 'Capture id (the one its starter chose in `capture:start`).',
  }),
});
const ScenarioIdParamsSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'Scenario id.' }),
});
const Id = Type.String({ minLength: 1, maxLength: 64 });

/** What the server holds (instructors): its memory, and what its captures keep in memory and in files. */
/** Where the server listens, so that the dashboard can tell whether students on other machines reach its join link. */
export const ServerListenSchema = Type.Object(
  {
    address: Type.String({ description: 'The address the server is bound to (`127.0.0.1`, `0.0.0.0`, `::`, …).' }),
    port: Type.Integer(),
    loopbackOnly: Type.Boolean({
      description: 'true: only this machine can connect (serve with `--host 0.0.0.0` for a class network).',
    }),
    hostName: Type.String({ description: "The machine's host name (answered besides addresses: docs/server.md)." }),
    https: Type.Boolean(),
  },
  { title: 'ServerListen' },
);
export type ServerListen = Static<typeof ServerListenSchema>;

export const ServerStatusSchema = Type.Object(
  {
    rssBytes: Type.Integer({ description: "The server process's resident memory." }),
    captures: CaptureStorageSchema,
    listen: Type.Optional(ServerListenSchema),
    cpuHogs: Type.Optional(
      Type.Object(
        {
          demoted: Type.Array(Type.String(), {
            description: 'Labs held at their CPU ceiling for seconds, now in the idle class.',
          }),
          demotions: Type.Integer({ description: 'Demotions since the server started.' }),
        },
        { description: "Labs demoted to the kernel's idle CPU class (docs/isolation.md)." },
      ),
    ),
  },
  { title: 'ServerStatus' },
);
export type ServerStatus = Static<typeof ServerStatusSchema>;
const SessionParamsSchema = Type.Object({ id: Id });
const StudentParamsSchema = Type.Object({ id: Id, student: Id });

/** A pcap file, sent as it is (not JSON). */
export const BinarySchema = Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary', description: 'pcap file' });

/** The OpenAPI 3 document (generated by the server from this table); its parts are OpenAPI's own. */
export const OpenApiDocumentSchema = Type.Object(
  {
    openapi: Type.String(),
    info: Type.Object({ title: Type.String(), version: Type.String() }, { additionalProperties: true }),
    paths: Type.Record(Type.String(), Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: true, title: 'OpenApiDocument' },
);

export const routes = {
  // ---- service
  health: {
    method: 'GET',
    path: '/api/health',
    summary: 'Liveness; needs no token',
    access: 'public',
    response: { 200: HealthSchema },
  },
  serverStatus: {
    method: 'GET',
    path: '/api/status',
    summary: "The server's memory, what its captures hold in memory and on disk, and where it listens (instructors)",
    access: 'instructor',
    response: { 200: ServerStatusSchema, ...instructorErrors },
  },
  kernelFeatures: {
    method: 'GET',
    path: '/api/kernel',
    summary: "What this machine's kernel can run: the kernel features a lab may need, available and missing",
    access: 'token',
    response: { 200: KernelFeaturesSchema, ...tokenErrors },
  },
  openapi: {
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This interface as an OpenAPI 3 document',
    access: 'token',
    hide: true,
    response: { 200: OpenApiDocumentSchema, ...tokenErrors },
  },

  // ---- agents (lab hosts: docs/deploy.md)
  listAgents: {
    method: 'GET',
    path: '/api/agents',
    summary: 'The lab hosts (agents) of this coordinator: state, labs, namespaces and headroom (instructors)',
    access: 'instructor',
    response: { 200: AgentListSchema, ...instructorErrors },
  },
  agentHeartbeat: {
    method: 'POST',
    path: '/api/agents/heartbeat',
    summary: 'An agent registers and says it is alive (agents only: Bearer PATCHBAY_AGENT_SECRET)',
    description:
      'The body carries the agent protocol version; another version is refused with 409 `agent-protocol`. ' +
      'A coordinator without PATCHBAY_AGENT_SECRET refuses every agent (401).',
    access: 'agent',
    body: AgentHeartbeatSchema,
    response: { 200: AgentHeartbeatReplySchema, 400: Err, 409: Err, ...tokenErrors },
  },

  // ---- labs
  listLabs: {
    method: 'GET',
    path: '/api/labs',
    summary: 'Labs the token may see, with status',
    access: 'token',
    response: { 200: LabListSchema, ...tokenErrors },
  },
  applyLab: {
    method: 'PUT',
    path: '/api/labs/:name',
    summary: 'Create the lab, or change it to match the document; answers with what was done',
    description:
      'Body: a lab document as JSON, or as YAML with `Content-Type: application/yaml`. 400 with problems: nothing was changed. A student applying their own lab: 403 `terminals-only` while their session is terminals only; otherwise the apply is recorded and shown on the dashboard.',
    access: 'lab',
    consumes: ['application/json', ...YAML_TYPES],
    params: LabNameParamsSchema,
    query: ApplyQuerySchema,
    body: LabDocument,
    response: { 200: ApplyResponseSchema, 400: ProblemsErrorSchema, 409: Err, 413: Err, ...labErrors },
  },
  getLab: {
    method: 'GET',
    path: '/api/labs/:name',
    summary: 'The lab document as last applied',
    access: 'lab',
    params: LabNameParamsSchema,
    response: { 200: LabDocument, ...labErrors },
  },
  labState: {
    method: 'GET',
    path: '/api/labs/:name/state',
    summary: 'Live kernel state, as `patchbay state --json`',
    access: 'lab',
    params: LabNameParamsSchema,
    response: { 200: LabStateSchema, ...labErrors },
  },
  whyLab: {
    method: 'POST',
    path: '/api/labs/:name/why',
    summary: "Why can (or can't) FROM reach TO: the path hop by hop from the live kernel, as `patchbay why --json`",
    description:
      'Reads the lab (and, unless `probe` is false, sends one traced packet); changes nothing. 400 for a bad question; 404 for an unknown lab or node, or a lab not applied. A student asks about their own lab only; an exercise whose scenario says `why: false` answers a student 403 `why-disabled`. One question per lab at a time: another while one runs is 429 `busy` (Retry-After: 1); a student asks at most `studentWhysPerMinute` a minute (429 `rate-limited`).',
    access: 'lab',
    params: LabNameParamsSchema,
    body: WhyQuerySchema,
    response: { 200: WhyResultSchema, 400: ProblemsErrorSchema, 429: Err, ...labErrors },
  },
  destroyLab: {
    method: 'DELETE',
    path: '/api/labs/:name',
    summary: 'Destroy the lab',
    description:
      'A student destroying their own lab: 403 `terminals-only` while their session is terminals only; otherwise it is recorded and shown on the dashboard.',
    access: 'lab',
    params: LabNameParamsSchema,
    response: { 200: DestroyResponseSchema, 409: Err, ...labErrors },
  },

  // ---- captures (the lines stream over socket.io)
  listCaptures: {
    method: 'GET',
    path: '/api/labs/:name/captures',
    summary: "The lab's captures, running and ended (newest first)",
    access: 'lab',
    params: LabNameParamsSchema,
    response: { 200: CaptureListSchema, ...labErrors },
  },
  capturePcap: {
    method: 'GET',
    path: '/api/labs/:name/captures/:id/pcap',
    summary: "The capture's packets as a pcap file (the most recent ones, up to the server's ring size)",
    description: 'Also while the capture runs. Opens in Wireshark or `tcpdump -r`.',
    access: 'lab',
    params: CaptureParamsSchema,
    produces: ['application/vnd.tcpdump.pcap'],
    response: { 200: BinarySchema, ...labErrors },
  },

  // ---- the editor
  listDrafts: {
    method: 'GET',
    path: '/api/drafts',
    summary: 'Drafts the token may see, newest first',
    access: 'token',
    response: { 200: DraftListSchema, 401: Err },
  },
  getDraft: {
    method: 'GET',
    path: '/api/drafts/:name',
    summary: "The editor's working copy of a lab, with its layout",
    access: 'lab',
    params: LabNameParamsSchema,
    response: { 200: DraftSchema, ...labErrors },
  },
  saveDraft: {
    method: 'PUT',
    path: '/api/drafts/:name',
    summary: 'Saves the working copy (valid or not) and its layout; nothing is applied',
    access: 'lab',
    params: LabNameParamsSchema,
    body: DraftPutSchema,
    response: { 200: DraftSavedSchema, 400: ProblemsErrorSchema, 413: Err, ...labErrors },
  },
  deleteDraft: {
    method: 'DELETE',
    path: '/api/drafts/:name',
    summary: 'Forgets a draft',
    access: 'lab',
    params: LabNameParamsSchema,
    response: { 204: Type.Null(), ...labErrors },
  },
  listExamples: {
    method: 'GET',
    path: '/api/examples',
    summary: 'The example labs (the gallery)',
    access: 'token',
    response: { 200: ExampleListSchema, 401: Err },
  },
  labScript: {
    method: 'POST',
    path: '/api/script',
    summary: 'The shell script (ip, bridge, iptables) that builds a lab document from nothing',
    access: 'token',
    body: LabDocument,
    response: { 200: ScriptResponseSchema, 400: ProblemsErrorSchema, 401: Err, 413: Err },
  },

  // ---- a lab's exercise (a token covering the lab)
  getExercise: {
    method: 'GET',
    path: '/api/labs/:name/exercise',
    summary: "The lab's exercise: instructions, checks, revealed hints, the latest run (no solution)",
    access: 'lab',
    params: LabNameParamsSchema,
    response: { 200: ExerciseViewSchema, 410: Err, ...labErrors },
  },
  startExerciseLab: {
    method: 'PUT',
    path: '/api/labs/:name/exercise',
    summary: "Starts the lab from a scenario file (instructors; how a coordinator places a student's lab on an agent)",
    description:
      "Realizes the scenario's starting lab (and its setup steps) under this name, as `patchbay scenario start FILE --lab NAME`; " +
      'the lab then has that exercise (GET …/exercise, POST …/checks, POST …/reset). 409 when a lab of that name exists that was not started from it.',
    access: 'instructor',
    params: LabNameParamsSchema,
    body: Type.Object({ text: Type.String({ maxLength: 256 * 1024 }) }, { additionalProperties: false }),
    response: { 200: Type.Object({ lab: Type.String() }), 400: Err, 409: Err, ...instructorErrors },
  },
  runChecks: {
    method: 'POST',
    path: '/api/labs/:name/checks',
    summary: "Runs the lab's checks now against its live kernel state",
    access: 'lab',
    params: LabNameParamsSchema,
    response: { 200: CheckRunSchema, 410: Err, ...labErrors },
  },
  revealHint: {
    method: 'POST',
    path: '/api/labs/:name/hints',
    summary: 'Reveals the next hint; answers with every hint revealed so far',
    access: 'lab',
    params: LabNameParamsSchema,
    response: { 200: HintsViewSchema, ...labErrors },
  },
  resetLab: {
    method: 'POST',
    path: '/api/labs/:name/reset',
    summary: 'Puts the lab back as the scenario starts (re-creates it when it is gone), then runs its checks',
    description:
      'The lab is destroyed and realized again: open terminals, pings, captures and live tables of the lab end (subscribe again). 409: the lab is busy.',
    access: 'lab',
    params: LabNameParamsSchema,
    response: { 200: CheckRunSchema, 409: Err, 410: Err, ...labErrors },
  },

  // ---- the exercise library (instructors)
  listScenarios: {
    method: 'GET',
    path: '/api/scenarios',
    summary: 'The built-in exercise library (instructors)',
    access: 'instructor',
    response: { 200: ScenarioListSchema, ...instructorErrors },
  },
  getScenario: {
    method: 'GET',
    path: '/api/scenarios/:id',
    summary: 'A built-in scenario as its file (YAML, solution included; instructors)',
    access: 'instructor',
    params: ScenarioIdParamsSchema,
    response: { 200: ScenarioTextSchema, 404: Err, ...instructorErrors },
  },
  validateScenario: {
    method: 'POST',
    path: '/api/scenarios/validate',
    summary: 'Proves a scenario file sound on the real kernel, in a throwaway lab (instructors)',
    description:
      'The fresh lab must fail a check, the solution must make every check pass, a reset lab must fail again. A file with problems answers 400 with all of them, and nothing runs.',
    access: 'instructor',
    body: ScenarioValidateInputSchema,
    response: { 200: ValidationProofSchema, 400: ProblemsErrorSchema, 413: Err, ...instructorErrors },
  },

  // ---- class sessions
  createSession: {
    method: 'POST',
    path: '/api/sessions',
    summary: 'Opens a class session from a built-in scenario or a scenario file (instructors)',
    description:
      'Exactly one of `scenario` (a built-in id) and `text` (a scenario file, lab inline). The scenario is kept as it is now: later changes to the library do not change the session.',
    access: 'instructor',
    body: SessionCreateInputSchema,
    response: { 201: SessionSchema, 400: ProblemsErrorSchema, 413: Err, ...instructorErrors },
  },
  updateSession: {
    method: 'PATCH',
    path: '/api/sessions/:id',
    summary: 'Changes a running session’s seat limit, lock or terminals-only setting (instructors)',
    description:
      'Locked: no new joins (409 `session-locked`), the students in it go on. Terminals only: a student’s apply or destroy of their lab answers 403 `terminals-only` (dry runs and resets still work); their pages learn it at once (`exercise:settings`). A seat limit below the students already in it turns nobody away; it only stops new joins. 400: a seat limit above the server’s cap; 409: the session has ended.',
    access: 'instructor',
    params: SessionParamsSchema,
    body: SessionUpdateInputSchema,
    response: { 200: SessionSchema, 400: ProblemsErrorSchema, 404: Err, 409: Err, ...instructorErrors },
  },
  listSessions: {
    method: 'GET',
    path: '/api/sessions',
    summary: 'Class sessions, newest first (instructors)',
    access: 'instructor',
    response: { 200: SessionListSchema, ...instructorErrors },
  },
  getSession: {
    method: 'GET',
    path: '/api/sessions/:id',
    summary: 'A class session with every student’s progress (instructors)',
    access: 'instructor',
    params: SessionParamsSchema,
    response: { 200: SessionSchema, 404: Err, ...instructorErrors },
  },
  endSession: {
    method: 'DELETE',
    path: '/api/sessions/:id',
    summary: 'Ends a class session: destroys every student’s lab, revokes their tokens (instructors)',
    access: 'instructor',
    params: SessionParamsSchema,
    response: { 200: SessionEndedSchema, 404: Err, ...instructorErrors },
  },
  resetStudent: {
    method: 'POST',
    path: '/api/sessions/:id/students/:student/reset',
    summary: 'Puts a student’s lab back as the scenario starts, then runs its checks (instructors)',
    access: 'instructor',
    params: StudentParamsSchema,
    response: { 200: CheckRunSchema, 404: Err, 409: Err, 410: Err, ...instructorErrors },
  },
  removeStudent: {
    method: 'DELETE',
    path: '/api/sessions/:id/students/:student',
    summary:
      'Removes a student from a session: their lab destroyed, their token revoked, their connections closed (instructors)',
    description:
      'Their seat is free again; their progress is forgotten. They may join again with the code (a new lab), unless the session is locked or full.',
    access: 'instructor',
    params: StudentParamsSchema,
    response: { 200: StudentRemovedSchema, 404: Err, ...instructorErrors },
  },
  join: {
    method: 'POST',
    path: '/api/join',
    summary: 'Joins a class session: a lab of one’s own and a token that covers only it (no token needed)',
    description:
      'The code in any case. 404: no session has this code; 410: the session has ended; 409 `name-taken`: a student of the session has this name (in any case), unless `rejoin` is their token (then their seat again); 409 `session-full`: every seat is taken; 409 `session-locked`: the instructor locked it; 429: too many joins from this address (Retry-After).',
    access: 'public',
    body: JoinInputSchema,
    response: { 200: JoinedSchema, 400: ProblemsErrorSchema, 404: Err, 409: Err, 410: Err, 429: Err, 500: Err },
  },
} as const satisfies Record<string, RouteDef>;

export type Routes = typeof routes;
export type RouteName = keyof Routes;
