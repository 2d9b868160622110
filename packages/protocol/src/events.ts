// Every socket.io event of the live streams as data: its payload schema and, for a request that is
// answered, its ack. `ClientToServerEvents` and `ServerToClientEvents` (the generics of socket.io's
// `Server`, `Socket` and `io()`) are derived from these tables, so the server, the web app and the
// benchmarks type their handlers from the same place the documentation is read from.
import type { Static, TSchema } from '@sinclair/typebox';
import {
  CaptureLinesSchema,
  CaptureRefSchema,
  CaptureStartSchema,
  CaptureStatusSchema,
  type CaptureStartInput,
} from './capture.js';
import {
  CheckRunSchema,
  ExerciseClosedEventSchema,
  ExerciseResetEventSchema,
  ExerciseSettingsEventSchema,
  ExerciseSubscribeSchema,
  SessionEndedEventSchema,
  SessionProgressEventSchema,
  SessionSettingsEventSchema,
  SessionStudentRemovedEventSchema,
  SessionSubscribeSchema,
} from './classroom.js';
import {
  LiveAckSchema,
  PingEventSchema,
  PingRefSchema,
  PingReplySchema,
  PingStartSchema,
  PingSummarySchema,
  TablesCountersSchema,
  TablesDeltaSchema,
  TablesSnapshotSchema,
  TablesSubscribeSchema,
  type PingStartInput,
} from './live.js';
import {
  TerminalExitSchema,
  TerminalInputSchema,
  TerminalOpenSchema,
  TerminalOutputSchema,
  TerminalRefSchema,
  TerminalResizeSchema,
} from './terminal.js';

/** A client→server event: its payload, and the schema of the answer when the client waits for one. */
export interface ClientEventDef {
  payload: TSchema;
  ack?: TSchema;
  description: string;
}

/** A server→client event; `ack: true`: the client calls the ack (no arguments) once it took the event (flow control). */
export interface ServerEventDef {
  payload: TSchema;
  ack?: true;
  volatile?: true;
  description: string;
}

export const clientEvents = {
  'ping:start': {
    payload: PingStartSchema,
    ack: LiveAckSchema,
    description:
      'Pings `target` from `node` (in its namespace); events carry the client’s `id`, ending with `ping:summary`.',
  },
  'ping:stop': { payload: PingRefSchema, description: 'Stops the ping; its `ping:summary` follows.' },
  'tables:subscribe': {
    payload: TablesSubscribeSchema,
    ack: LiveAckSchema,
    description:
      'Follows a lab’s tables: `tables:snapshot` at once, then `tables:delta` per changed namespace and `tables:counters` each second. Ack id: the lab.',
  },
  'tables:unsubscribe': { payload: TablesSubscribeSchema, description: 'Stops following the lab’s tables.' },
  'capture:start': {
    payload: CaptureStartSchema,
    ack: LiveAckSchema,
    description:
      'Starts a capture named by the client’s `id` and subscribes this socket; a refusal carries tcpdump’s message.',
  },
  'capture:subscribe': {
    payload: CaptureRefSchema,
    ack: LiveAckSchema,
    description:
      'Subscribes to a running capture (e.g. an instructor watching): its lines from now on, and its status.',
  },
  'capture:unsubscribe': {
    payload: CaptureRefSchema,
    description: 'A capture ends when its last subscriber leaves (or disconnects).',
  },
  'capture:stop': {
    payload: CaptureRefSchema,
    description: 'Stops the capture; its last `capture:status` (state ended) follows.',
  },
  'terminal:open': {
    payload: TerminalOpenSchema,
    ack: LiveAckSchema,
    description: 'Opens a shell in a netns or router node’s sandbox, named by the client’s `id`.',
  },
  'terminal:input': {
    payload: TerminalInputSchema,
    description: 'Keystrokes (or a paste of at most 64 KiB) for the terminal.',
  },
  'terminal:resize': { payload: TerminalResizeSchema, description: 'The terminal’s new size.' },
  'terminal:close': {
    payload: TerminalRefSchema,
    description: 'Kills the shell and everything it started; `terminal:exit` (reason closed) follows.',
  },
  'exercise:subscribe': {
    payload: ExerciseSubscribeSchema,
    ack: LiveAckSchema,
    description:
      'Check results of the lab’s exercise: the latest run at once (if any), then every run. Ack id: the lab.',
  },
  'exercise:unsubscribe': { payload: ExerciseSubscribeSchema, description: 'Stops following the exercise’s results.' },
  'session:subscribe': {
    payload: SessionSubscribeSchema,
    ack: LiveAckSchema,
    description: 'Instructors: every student’s progress in a session as it changes. Ack id: the session.',
  },
  'session:unsubscribe': { payload: SessionSubscribeSchema, description: 'Stops following the session.' },
} as const satisfies Record<string, ClientEventDef>;

export const serverEvents = {
  'ping:reply': { payload: PingReplySchema, description: 'One echo reply.' },
  'ping:event': { payload: PingEventSchema, description: 'An unreachable, a timeout or an error line of the ping.' },
  'ping:summary': {
    payload: PingSummarySchema,
    description: 'Always the last event of a ping, also when it was stopped or failed.',
  },
  'tables:snapshot': {
    payload: TablesSnapshotSchema,
    description: 'The whole lab, once, right after `tables:subscribe`.',
  },
  'tables:delta': {
    payload: TablesDeltaSchema,
    ack: true,
    description:
      'One namespace read again after a change. At most a few are unacknowledged; newer ones replace waiting ones.',
  },
  'tables:counters': {
    payload: TablesCountersSchema,
    volatile: true,
    description:
      'Interface counters once per second while subscribed; dropped, not queued, for a client that is behind.',
  },
  'capture:lines': {
    payload: CaptureLinesSchema,
    ack: true,
    description: 'A batch of decoded packet lines; the ack is the flow control.',
  },
  'capture:status': {
    payload: CaptureStatusSchema,
    description: 'The capture’s counters, once a second while it runs and once at the end.',
  },
  'terminal:output': {
    payload: TerminalOutputSchema,
    ack: true,
    description:
      'What the shell printed; ack once written: at most a few batches are unacknowledged, the shell waits for the rest.',
  },
  'terminal:exit': { payload: TerminalExitSchema, description: 'Always the last event of a terminal.' },
  'exercise:results': { payload: CheckRunSchema, description: 'A run of the exercise’s checks.' },
  'session:progress': {
    payload: SessionProgressEventSchema,
    description: 'A student joined, or a student’s run finished.',
  },
  'session:ended': {
    payload: SessionEndedEventSchema,
    description: 'The session ended, by an instructor or after its idle time (its labs are destroyed).',
  },
  'session:settings': {
    payload: SessionSettingsEventSchema,
    description: 'The session’s seat limit, lock or terminals-only setting changed.',
  },
  'session:student-removed': {
    payload: SessionStudentRemovedEventSchema,
    description: 'An instructor removed a student (their lab is destroyed, their token revoked).',
  },
  'exercise:closed': {
    payload: ExerciseClosedEventSchema,
    description:
      'To a student’s own connections, just before the server closes them: removed from the session, or it ended.',
  },
  'exercise:reset': {
    payload: ExerciseResetEventSchema,
    description:
      'To the lab’s exercise subscribers: the lab was reset (by its student or an instructor) and stands as the scenario starts it; read it again.',
  },
  'exercise:settings': {
    payload: ExerciseSettingsEventSchema,
    description: 'To the lab’s exercise subscribers: its session’s terminals-only setting changed.',
  },
} as const satisfies Record<string, ServerEventDef>;

/** What a client may send where the schema has defaults: those fields may be left out. */
interface ClientPayloadInputs {
  'ping:start': PingStartInput;
  'capture:start': CaptureStartInput;
}
type ClientEvents = typeof clientEvents;
type ServerEvents = typeof serverEvents;
export type ClientEventName = keyof ClientEvents;
export type ServerEventName = keyof ServerEvents;

/** The payload a client sends with event `E`. */
export type ClientPayload<E extends ClientEventName> = E extends keyof ClientPayloadInputs
  ? ClientPayloadInputs[E]
  : Static<ClientEvents[E]['payload']>;
/** The payload the server sends with event `E`. */
export type ServerPayload<E extends ServerEventName> = Static<ServerEvents[E]['payload']>;

export type ClientToServerEvents = {
  [E in ClientEventName]: ClientEvents[E] extends { ack: infer A extends TSchema }
    ? (payload: ClientPayload<E>, ack: (res: Static<A>) => void) => void
    : (payload: ClientPayload<E>) => void;
};

export type ServerToClientEvents = {
  [E in ServerEventName]: ServerEvents[E] extends { ack: true }
    ? (e: ServerPayload<E>, ack: () => void) => void
    : (e: ServerPayload<E>) => void;
};

/**
 * What a coordinator replica tells the others (socket.io's serverSideEmit through the Redis
 * adapter; never a browser): the student labs whose exercise a student has open on it, and the
 * sessions with a dashboard open on it, so every replica's dashboards and idle-session reaper count
 * connections on every replica.
 */
export interface ReplicaPresence {
  /** The announcing replica (random at each start). */
  replica: string;
  labs: string[];
  sessions: string[];
}

/** Events between coordinator replicas (socket.io's server-side events). */
export interface InterServerEvents {
  'replica:presence': (p: ReplicaPresence) => void;
}
