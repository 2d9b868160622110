// Live streams over socket.io (API.md "Live"): the event names and payloads, shared by the server
// and the web app. Payloads a client sends are TypeBox schemas (the server checks them with
// `Value.Check`); the event maps give socket.io's `Server`/`io()` generics their types.
import { Type, type Static } from '@sinclair/typebox';
import type { BridgeView, LabStateView, NodeView } from '@patchbay/topology';
import type { CaptureLines, CaptureRef, CaptureStartInput, CaptureStatus } from './capture.js';
import { ProblemSchema, type Problem } from './problem.js';
import type { CheckRun, ExerciseSubscribe, SessionEndedEvent, SessionProgressEvent, SessionSubscribe } from './classroom.js';
import type { TerminalExit, TerminalInput, TerminalOpen, TerminalOutput, TerminalRef, TerminalResize } from './terminal.js';

/** Dotted-quad IPv4, each octet 0..255; a pattern rather than `format` so Value.Check needs no registry. */
export const IPV4_PATTERN = '^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$';

export const PingStartSchema = Type.Object(
  {
    lab: Type.String({ minLength: 1 }),
    node: Type.String({ minLength: 1 }),
    target: Type.String({ pattern: IPV4_PATTERN, description: 'IPv4 address to ping.' }),
    count: Type.Integer({ minimum: 1, maximum: 100, default: 4 }),
    intervalMs: Type.Integer({ minimum: 200, maximum: 5000, default: 1000 }),
    size: Type.Integer({ minimum: 0, maximum: 1472, default: 56, description: 'ICMP payload bytes (1472 fills a 1500-byte MTU).' }),
    dontFragment: Type.Boolean({ default: false }),
  },
  { title: 'PingStart', additionalProperties: false },
);
export type PingStart = Static<typeof PingStartSchema>;
/** What a client may send: the fields with defaults may be left out. */
export type PingStartInput = Pick<PingStart, 'lab' | 'node' | 'target'> & Partial<Omit<PingStart, 'lab' | 'node' | 'target'>>;

export const LiveAckSchema = Type.Union(
  [
    Type.Object({ ok: Type.Literal(true), id: Type.String() }),
    Type.Object({ ok: Type.Literal(false), error: Type.String(), problems: Type.Optional(Type.Array(ProblemSchema)) }),
  ],
  { title: 'LiveAck' },
);
export type LiveAck = { ok: true; id: string } | { ok: false; error: string; problems?: Problem[] };

/** `rttMs` is missing when the payload is under 16 bytes (no room for ping's timestamp). */
export interface PingReply { id: string; seq: number; ttl: number; rttMs?: number }
export interface PingEvent { id: string; type: 'unreachable' | 'timeout' | 'error'; seq?: number; message: string }
export interface PingSummary {
  id: string;
  transmitted: number;
  received: number;
  lossPercent: number;
  rttMinMs?: number;
  rttAvgMs?: number;
  rttMaxMs?: number;
}

export const TablesSubscribeSchema = Type.Object({ lab: Type.String({ minLength: 1 }) }, { title: 'TablesSubscribe', additionalProperties: false });
export type TablesSubscribe = Static<typeof TablesSubscribeSchema>;

/**
 * Live tables: the `patchbay state --json` shapes (docs/cli.md), `NodeView` and `BridgeView` of
 * `@patchbay/topology`, which the engine builds and the web app reads.
 */
export type TablesLabState = LabStateView;
/** The whole lab, once, right after `tables:subscribe`. */
export interface TablesSnapshot {
  lab: string;
  state: TablesLabState;
}
/** One namespace read again after a change: its node (missing once it is gone) and the bridges it hosts. */
export interface TablesDelta {
  lab: string;
  namespace: string;
  node: string;
  state: { revision: number; node?: NodeView; bridges: BridgeView[] };
  /**
   * Deltas this subscriber did not get because a newer one for the same namespace replaced them
   * while it was behind (a total so far). Nothing is lost: each delta is the namespace's whole state.
   */
  coalesced: number;
}

/** One interface's counters (the kernel's, since the interface was created). */
export interface InterfaceCounters {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  rxDropped: number;
  txDropped: number;
}
/**
 * Interface counters of a subscribed lab, sampled once per second while it has subscribers (read
 * through the tables watcher's netlink sockets: no process per sample). Sent volatile: a client
 * that is not ready misses the sample, the next one supersedes it. Rates come from two samples.
 */
export interface TablesCounters {
  lab: string;
  /** When the sample was taken (epoch ms). */
  at: number;
  /** Per node (the node name, `_host` for a lab's implicit bridge host), per interface name. */
  nodes: Record<string, Record<string, InterfaceCounters>>;
}

export interface ClientToServerEvents {
  'ping:start': (payload: PingStartInput, ack: (res: LiveAck) => void) => void;
  'ping:stop': (payload: { id: string }) => void;
  /** Ack `{ ok: true, id }` (id: the subscription, i.e. the lab's room) or `{ ok: false, error }`. */
  'tables:subscribe': (payload: TablesSubscribe, ack: (res: LiveAck) => void) => void;
  'tables:unsubscribe': (payload: TablesSubscribe) => void;
  /** Starts a capture and subscribes this socket; ack `{ ok: true, id }`, or `{ ok: false, error }` with tcpdump's message. */
  'capture:start': (payload: CaptureStartInput, ack: (res: LiveAck) => void) => void;
  /** Subscribes to a running capture (e.g. an instructor watching); its lines from now on, and its status. */
  'capture:subscribe': (payload: CaptureRef, ack: (res: LiveAck) => void) => void;
  /** A capture ends when its last subscriber leaves (or disconnects). */
  'capture:unsubscribe': (payload: CaptureRef) => void;
  'capture:stop': (payload: CaptureRef) => void;
  /** Opens a shell in a netns or router node's sandbox; ack `{ ok: true, id }`, or `{ ok: false, error }`. */
  'terminal:open': (payload: TerminalOpen, ack: (res: LiveAck) => void) => void;
  /** Keystrokes (or a paste of at most 64 KiB) for the terminal. */
  'terminal:input': (payload: TerminalInput) => void;
  'terminal:resize': (payload: TerminalResize) => void;
  /** Kills the shell and everything it started; `terminal:exit` (reason closed) follows. */
  'terminal:close': (payload: TerminalRef) => void;
  /** Check results of the lab's exercise: the latest run at once (if any), then every run. */
  'exercise:subscribe': (payload: ExerciseSubscribe, ack: (res: LiveAck) => void) => void;
  'exercise:unsubscribe': (payload: ExerciseSubscribe) => void;
  /** Instructors: every student's progress in a session as it changes. */
  'session:subscribe': (payload: SessionSubscribe, ack: (res: LiveAck) => void) => void;
  'session:unsubscribe': (payload: SessionSubscribe) => void;
}

export interface ServerToClientEvents {
  'ping:reply': (e: PingReply) => void;
  'ping:event': (e: PingEvent) => void;
  /** Always the last event of a ping, also when it was stopped or failed. */
  'ping:summary': (e: PingSummary) => void;
  'tables:snapshot': (e: TablesSnapshot) => void;
  /** Call `ack` once taken: at most a few deltas are unacknowledged, newer ones replace waiting ones. */
  'tables:delta': (e: TablesDelta, ack: () => void) => void;
  /** Once per second while subscribed; volatile (dropped, not queued, for a client that is behind). */
  'tables:counters': (e: TablesCounters) => void;
  /** Call `ack` once the batch is taken: it is the flow control (see CaptureLines). */
  'capture:lines': (e: CaptureLines, ack: () => void) => void;
  'capture:status': (e: CaptureStatus) => void;
  /** Call `ack` once written: at most a few batches are unacknowledged, the shell waits for the rest. */
  'terminal:output': (e: TerminalOutput, ack: () => void) => void;
  /** Always the last event of a terminal. */
  'terminal:exit': (e: TerminalExit) => void;
  'exercise:results': (e: CheckRun) => void;
  'session:progress': (e: SessionProgressEvent) => void;
  'session:ended': (e: SessionEndedEvent) => void;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- socket.io's slot for server-to-server events: none
export interface InterServerEvents {}

/** Set by the server at the handshake: what the socket's token may do. */
export interface SocketData {
  scope: { role: 'instructor' } | { role: 'student'; lab: string };
}
