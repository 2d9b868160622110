// Exercises and class sessions (issue 6, SCENARIO-FORMAT.md, API.md "class sessions"): the REST
// bodies and live events shared by the server and the web app.
// The routes that carry them are in routes.ts, the events in events.ts.
import { Type, type Static } from '@sinclair/typebox';

export const LevelSchema = Type.Union([
  Type.Literal('beginner'),
  Type.Literal('intermediate'),
  Type.Literal('advanced'),
]);

/** One check's verdict: pass or fail, why, and what was seen (`ping: 2 sent, 0 received`). */
export const CheckResultSchema = Type.Object(
  { id: Type.String(), title: Type.String(), pass: Type.Boolean(), reason: Type.String(), seen: Type.String() },
  { title: 'CheckResult' },
);
export type CheckResult = Static<typeof CheckResultSchema>;

/** One run of every check of a lab's exercise against its live kernel state. */
export const CheckRunSchema = Type.Object(
  {
    lab: Type.String(),
    results: Type.Array(CheckResultSchema),
    passed: Type.Integer(),
    total: Type.Integer(),
    /** When the run finished (ISO 8601). */
    at: Type.String(),
    ms: Type.Number({ description: 'How long the run took.' }),
    /** What asked for it: `change` a change in the lab (its kernel state, an apply, Enter in a terminal), `periodic` the tick of a watched lab. */
    trigger: Type.Union([
      Type.Literal('start'),
      Type.Literal('change'),
      Type.Literal('periodic'),
      Type.Literal('request'),
      Type.Literal('reset'),
    ]),
  },
  { title: 'CheckRun' },
);
export type CheckRun = Static<typeof CheckRunSchema>;

export const ScenarioSummarySchema = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    level: LevelSchema,
    summary: Type.String(),
    tags: Type.Array(Type.String()),
    checks: Type.Integer(),
    hints: Type.Integer(),
    /** The checks by id, title and type, in order (what a dashboard names before the first run). */
    checkList: Type.Optional(Type.Array(Type.Object({ id: Type.String(), title: Type.String(), type: Type.String() }))),
  },
  { title: 'ScenarioSummary' },
);
export type ScenarioSummary = Static<typeof ScenarioSummarySchema>;

export const ScenarioListSchema = Type.Object(
  { scenarios: Type.Array(ScenarioSummarySchema) },
  { title: 'ScenarioList' },
);
export type ScenarioList = Static<typeof ScenarioListSchema>;

/** A scenario file as text (YAML), its lab inline. */
export const ScenarioTextSchema = Type.Object({ id: Type.String(), text: Type.String() }, { title: 'ScenarioText' });
export type ScenarioText = Static<typeof ScenarioTextSchema>;

export const ScenarioValidateInputSchema = Type.Object(
  { text: Type.String({ maxLength: 262144, description: 'The scenario file (YAML or JSON), its lab inline.' }) },
  { title: 'ScenarioValidateInput', additionalProperties: false },
);
export type ScenarioValidateInput = Static<typeof ScenarioValidateInputSchema>;

/** One solution step as it ran. */
export const SolutionStepRunSchema = Type.Object(
  { node: Type.String(), run: Type.String(), code: Type.Integer(), output: Type.String() },
  { title: 'SolutionStepRun' },
);
export type SolutionStepRun = Static<typeof SolutionStepRunSchema>;

/**
 * `validate`'s proof on the real kernel, stage by stage: the fresh lab fails at least one check, the
 * solution runs and makes every check pass, a reset lab fails again. `sound` when all three hold.
 */
export const ValidationStageSchema = Type.Object(
  {
    stage: Type.Union([Type.Literal('fresh'), Type.Literal('solution'), Type.Literal('reset')]),
    ok: Type.Boolean(),
    /** What was proven or what went wrong, in a sentence. */
    detail: Type.String(),
    results: Type.Array(CheckResultSchema),
    steps: Type.Optional(Type.Array(SolutionStepRunSchema)),
  },
  { title: 'ValidationStage' },
);
export type ValidationStage = Static<typeof ValidationStageSchema>;

export const ValidationProofSchema = Type.Object(
  {
    scenario: Type.String(),
    lab: Type.String(),
    sound: Type.Boolean(),
    stages: Type.Array(ValidationStageSchema),
    ms: Type.Number(),
  },
  { title: 'ValidationProof' },
);
export type ValidationProof = Static<typeof ValidationProofSchema>;

/** Seats of a session (students at once); the server's own cap (PATCHBAY_LIMITS `sessionSeatsMax`) may be lower. */
export const SeatLimitSchema = Type.Integer({
  minimum: 1,
  maximum: 10_000,
  description: 'Students the session takes at most; a join beyond it answers 409 `session-full`.',
});

export const SessionCreateInputSchema = Type.Object(
  {
    scenario: Type.Optional(Type.String({ description: 'A built-in scenario id.' })),
    text: Type.Optional(
      Type.String({ maxLength: 262144, description: 'A scenario file (YAML or JSON), its lab inline.' }),
    ),
    seatLimit: Type.Optional(SeatLimitSchema),
  },
  { title: 'SessionCreateInput', additionalProperties: false, description: 'Exactly one of scenario and text.' },
);
export type SessionCreateInput = Static<typeof SessionCreateInputSchema>;

export const StudentProgressSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    lab: Type.String(),
    joinedAt: Type.String(),
    passed: Type.Integer(),
    total: Type.Integer(),
    hintsShown: Type.Integer(),
    /** The latest run's results (empty before the first run). */
    results: Type.Array(CheckResultSchema),
    lastCheckAt: Type.Optional(Type.String()),
    /** When every check passed for the first time. */
    solvedAt: Type.Optional(Type.String()),
    /** Whether the student has their exercise open now (a student connection follows its results). */
    online: Type.Optional(Type.Boolean()),
    /**
     * The student changed their lab themselves through the API (an apply or a destroy with their own
     * token, not a reset): how many times, and the latest. Absent when they never did.
     */
    apiChanges: Type.Optional(
      Type.Object({ count: Type.Integer({ minimum: 1 }), lastAt: Type.String({ description: 'ISO 8601.' }) }),
    ),
    agent: Type.Optional(Type.String({ description: "The agent (lab host) that holds the student's lab." })),
    moved: Type.Optional(
      Type.Object(
        {
          at: Type.String({ description: 'ISO 8601.' }),
          from: Type.String({ description: 'The agent that was lost.' }),
        },
        {
          description: 'The lab was last made again on another agent because its agent was lost (the exercise reset).',
        },
      ),
    ),
  },
  { title: 'StudentProgress' },
);
export type StudentProgress = Static<typeof StudentProgressSchema>;

export const SessionEndReasonSchema = Type.Union([Type.Literal('instructor'), Type.Literal('idle')], {
  description: 'instructor: ended by an instructor; idle: no request or connection for the idle time.',
});
export type SessionEndReason = Static<typeof SessionEndReasonSchema>;

export const SessionSchema = Type.Object(
  {
    id: Type.String(),
    /** What students type to join (also in the join link). */
    code: Type.String(),
    joinPath: Type.String({ description: '/join/CODE, relative to the server.' }),
    scenario: ScenarioSummarySchema,
    createdAt: Type.String(),
    endedAt: Type.Optional(Type.String()),
    /** Why it ended: the instructor ended it, or nobody used it for `sessionIdleSeconds`. */
    endReason: Type.Optional(SessionEndReasonSchema),
    /** Students it takes at most (those removed free their seat). */
    seatLimit: Type.Integer(),
    /** Locked: nobody new may join (409 `session-locked`); those in it go on. */
    locked: Type.Boolean(),
    /**
     * Terminals only: students may not change their lab through the API (an apply or destroy with
     * their token answers 403 `terminals-only`); they work in its terminals (and may still reset it).
     */
    terminalsOnly: Type.Boolean(),
    students: Type.Array(StudentProgressSchema),
  },
  { title: 'Session' },
);
export type Session = Static<typeof SessionSchema>;

/** What an instructor may change of a running session: its seats, whether it takes new students, terminals only. */
export const SessionUpdateInputSchema = Type.Object(
  {
    seatLimit: Type.Optional(SeatLimitSchema),
    locked: Type.Optional(Type.Boolean({ description: 'true: no new joins (409 `session-locked`).' })),
    terminalsOnly: Type.Optional(
      Type.Boolean({
        description: 'true: students may not apply or destroy their lab through the API (403 `terminals-only`).',
      }),
    ),
  },
  { title: 'SessionUpdateInput', additionalProperties: false, minProperties: 1 },
);
export type SessionUpdateInput = Static<typeof SessionUpdateInputSchema>;

/** A student removed from a session: their token revoked, their lab destroyed (`destroyed`: it existed). */
export const StudentRemovedSchema = Type.Object(
  { session: Type.String(), student: Type.String(), lab: Type.String(), destroyed: Type.Boolean() },
  { title: 'StudentRemoved' },
);
export type StudentRemoved = Static<typeof StudentRemovedSchema>;

export const SessionListSchema = Type.Object({ sessions: Type.Array(SessionSchema) }, { title: 'SessionList' });
export type SessionList = Static<typeof SessionListSchema>;

export const SessionEndedSchema = Type.Object(
  { id: Type.String(), destroyed: Type.Array(Type.String()) },
  { title: 'SessionEnded' },
);
export type SessionEnded = Static<typeof SessionEndedSchema>;

export const JoinInputSchema = Type.Object(
  {
    code: Type.String({ minLength: 4, maxLength: 16, pattern: '^[A-Za-z0-9]+$' }),
    name: Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'How the instructor sees the student; unique in the session (in any case).',
    }),
    rejoin: Type.Optional(
      Type.String({
        maxLength: 128,
        description:
          'The token this browser got when it joined this session before: with the same name, that seat again (same lab, no new one) rather than a 409 `name-taken`.',
      }),
    ),
  },
  { title: 'JoinInput', additionalProperties: false },
);
export type JoinInput = Static<typeof JoinInputSchema>;

/** A student's own token covers `lab` and nothing else. */
export const JoinedSchema = Type.Object(
  { token: Type.String(), lab: Type.String(), session: Type.String(), student: Type.String() },
  { title: 'Joined' },
);
export type Joined = Static<typeof JoinedSchema>;

/** What a student sees of their exercise: everything but the solution; hints only once revealed. */
export const ExerciseViewSchema = Type.Object(
  {
    lab: Type.String(),
    session: Type.Optional(Type.String()),
    scenario: Type.Object({
      id: Type.String(),
      title: Type.String(),
      level: LevelSchema,
      summary: Type.String(),
      instructions: Type.String({ description: 'Markdown.' }),
      tags: Type.Array(Type.String()),
      checks: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), type: Type.String() })),
      hintCount: Type.Integer(),
    }),
    hints: Type.Array(Type.String(), { description: 'The hints revealed so far, in order.' }),
    lastRun: Type.Optional(CheckRunSchema),
    /** A session's lab: whether its session is terminals only (the student may not apply or destroy it). */
    terminalsOnly: Type.Optional(Type.Boolean()),
    /** A session's lab: when an instructor last reset it (ISO 8601), absent when none did. */
    instructorResetAt: Type.Optional(Type.String()),
    why: Type.Boolean({
      description:
        'Whether this token may ask Why? (POST /api/labs/:name/why) about the lab: false for a student when the scenario says `why: false` (the page hides its Why? buttons); always true for an instructor.',
    }),
  },
  { title: 'ExerciseView' },
);
export type ExerciseView = Static<typeof ExerciseViewSchema>;

export const HintsViewSchema = Type.Object(
  { hints: Type.Array(Type.String()), hintCount: Type.Integer() },
  { title: 'HintsView' },
);
export type HintsView = Static<typeof HintsViewSchema>;

// Live: `exercise:subscribe` { lab } (a token covering the lab) → `exercise:results` on every run
// (after a kernel change of the lab, debounced; on request; after a reset).
// `session:subscribe` { session } (instructor) → `session:progress` whenever a student joins or a
// student's run finishes; `session:ended` when the session ends.
export const ExerciseSubscribeSchema = Type.Object(
  { lab: Type.String({ minLength: 1 }) },
  { title: 'ExerciseSubscribe', additionalProperties: false },
);
export type ExerciseSubscribe = Static<typeof ExerciseSubscribeSchema>;
export const SessionSubscribeSchema = Type.Object(
  { session: Type.String({ minLength: 1 }) },
  { title: 'SessionSubscribe', additionalProperties: false },
);
export type SessionSubscribe = Static<typeof SessionSubscribeSchema>;

export const SessionProgressEventSchema = Type.Object(
  { session: Type.String(), student: StudentProgressSchema },
  { title: 'SessionProgressEvent' },
);
export type SessionProgressEvent = Static<typeof SessionProgressEventSchema>;
export const SessionEndedEventSchema = Type.Object(
  { session: Type.String(), reason: Type.Optional(SessionEndReasonSchema) },
  { title: 'SessionEndedEvent' },
);
export type SessionEndedEvent = Static<typeof SessionEndedEventSchema>;
/** A session's seats, lock or terminals-only setting changed (every dashboard of it learns). */
export const SessionSettingsEventSchema = Type.Object(
  { session: Type.String(), seatLimit: Type.Integer(), locked: Type.Boolean(), terminalsOnly: Type.Boolean() },
  { title: 'SessionSettingsEvent' },
);
export type SessionSettingsEvent = Static<typeof SessionSettingsEventSchema>;
/** A student was removed from the session (their row leaves the dashboard). */
export const SessionStudentRemovedEventSchema = Type.Object(
  { session: Type.String(), student: Type.String() },
  { title: 'SessionStudentRemovedEvent' },
);
export type SessionStudentRemovedEvent = Static<typeof SessionStudentRemovedEventSchema>;
/**
 * To a student's own connections, just before the server closes them: their lab is no longer theirs
 * (removed by the instructor, or the session ended). Their token answers 401 afterwards.
 */
export const ExerciseClosedEventSchema = Type.Object(
  {
    lab: Type.String(),
    reason: Type.Union([Type.Literal('removed'), Type.Literal('ended'), Type.Literal('expired')]),
  },
  { title: 'ExerciseClosedEvent' },
);
export type ExerciseClosedEvent = Static<typeof ExerciseClosedEventSchema>;

/**
 * To the lab's exercise subscribers (its student's page, an instructor's look at it): the lab was
 * just reset (built again from the scenario), by its student or by an instructor. Pages read the
 * lab again; a student told the instructor did it.
 */
export const ExerciseResetEventSchema = Type.Object(
  {
    lab: Type.String(),
    by: Type.Union([Type.Literal('student'), Type.Literal('instructor'), Type.Literal('failover')], {
      description: 'failover: the lab host (agent) holding the lab was lost, and the lab was made again on another.',
    }),
    /** When the reset finished (ISO 8601). */
    at: Type.String(),
    /** Why, in words (a failover names the agent lost). */
    message: Type.Optional(Type.String()),
  },
  { title: 'ExerciseResetEvent' },
);
export type ExerciseResetEvent = Static<typeof ExerciseResetEventSchema>;
/** To the lab's exercise subscribers: its session's terminals-only setting changed. */
export const ExerciseSettingsEventSchema = Type.Object(
  { lab: Type.String(), terminalsOnly: Type.Boolean() },
  { title: 'ExerciseSettingsEvent' },
);
export type ExerciseSettingsEvent = Static<typeof ExerciseSettingsEventSchema>;
