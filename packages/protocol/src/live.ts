// Live streams over socket.io (API.md "Live"): the payloads of the ping and live-table events, as
// TypeBox schemas. The event table (events.ts) names which event carries which payload; the server
// checks what clients send with `Value.Check`. A stream (ping, capture, terminal) is named by an id
// the client chooses (StreamIdSchema) and sends with its start request, so that every event of the
// stream, even one that arrives before the start's acknowledgement, is known to be the client's.
import { Type, type Static } from '@sinclair/typebox';
import { BridgeViewSchema, LabStateViewSchema, NodeViewSchema, type LabStateView } from '@patchbay/topology';
import { ProblemSchema } from './problem.js';

/** A stream id: chosen by the client, unique on its connection (a random UUID is a good choice). */
export const STREAM_ID_PATTERN = '^[A-Za-z0-9_-]{8,64}$';
export const StreamIdSchema = Type.String({
  pattern: STREAM_ID_PATTERN,
  description:
    'Chosen by the client (8 to 64 letters, digits, `-` or `_`; e.g. a random UUID); a connection may use an id for one stream only.',
});

/** Dotted-quad IPv4, each octet 0..255; a pattern rather than `format` so Value.Check needs no registry. */
export const IPV4_PATTERN =
  '^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$';

/** A ping target: IPv4 as above, or IPv6 loosely (hex digits and colons; the kernel driver parses it exactly). */
export const PING_TARGET_PATTERN = `^(${IPV4_PATTERN.slice(1, -1)}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$`;

export const PingStartSchema = Type.Object(
  {
    id: StreamIdSchema,
    lab: Type.String({ minLength: 1 }),
    node: Type.String({ minLength: 1 }),
    target: Type.String({
      pattern: PING_TARGET_PATTERN,
      description: 'IPv4 or IPv6 address to ping (IPv6: ping -6; a link-local one needs an interface, not offered).',
    }),
    count: Type.Integer({ minimum: 1, maximum: 100, default: 4 }),
    intervalMs: Type.Integer({ minimum: 200, maximum: 5000, default: 1000 }),
    size: Type.Integer({
      minimum: 0,
      maximum: 1472,
      default: 56,
      description: 'ICMP payload bytes (1472 fills a 1500-byte MTU).',
    }),
    dontFragment: Type.Boolean({ default: false }),
  },
  { title: 'PingStart', additionalProperties: false },
);
export type PingStart = Static<typeof PingStartSchema>;
/** What a client may send: the fields with defaults may be left out. */
export type PingStartInput = Pick<PingStart, 'id' | 'lab' | 'node' | 'target'> &
  Partial<Omit<PingStart, 'id' | 'lab' | 'node' | 'target'>>;

export const PingRefSchema = Type.Object({ id: StreamIdSchema }, { title: 'PingRef', additionalProperties: false });
export type PingRef = Static<typeof PingRefSchema>;

/**
 * The answer to every request with an ack: `id` is the stream's id (the client's own) or the
 * subscription's (the lab or session); a refusal says why, with the payload's problems if any.
 */
export const LiveAckSchema = Type.Union(
  [
    Type.Object({ ok: Type.Literal(true), id: Type.String() }),
    Type.Object({ ok: Type.Literal(false), error: Type.String(), problems: Type.Optional(Type.Array(ProblemSchema)) }),
  ],
  { title: 'LiveAck' },
);
export type LiveAck = Static<typeof LiveAckSchema>;

/** `rttMs` is missing when the payload is under 16 bytes (no room for ping's timestamp). */
export const PingReplySchema = Type.Object(
  { id: Type.String(), seq: Type.Integer(), ttl: Type.Integer(), rttMs: Type.Optional(Type.Number()) },
  { title: 'PingReply' },
);
export type PingReply = Static<typeof PingReplySchema>;

export const PingEventSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.Union([Type.Literal('unreachable'), Type.Literal('timeout'), Type.Literal('error')]),
    seq: Type.Optional(Type.Integer()),
    message: Type.String(),
  },
  { title: 'PingEvent' },
);
export type PingEvent = Static<typeof PingEventSchema>;

export const PingSummarySchema = Type.Object(
  {
    id: Type.String(),
    transmitted: Type.Integer(),
    received: Type.Integer(),
    lossPercent: Type.Number(),
    rttMinMs: Type.Optional(Type.Number()),
    rttAvgMs: Type.Optional(Type.Number()),
    rttMaxMs: Type.Optional(Type.Number()),
  },
  { title: 'PingSummary' },
);
export type PingSummary = Static<typeof PingSummarySchema>;

export const TablesSubscribeSchema = Type.Object(
  { lab: Type.String({ minLength: 1 }) },
  { title: 'TablesSubscribe', additionalProperties: false },
);
export type TablesSubscribe = Static<typeof TablesSubscribeSchema>;

/**
 * Live tables: the `patchbay state --json` shapes (docs/cli.md), `NodeView` and `BridgeView` of
 * `@patchbay/topology`, which the engine builds and the web app reads.
 */
export type TablesLabState = LabStateView;

/** The whole lab, once, right after `tables:subscribe`. */
export const TablesSnapshotSchema = Type.Object(
  { lab: Type.String(), state: LabStateViewSchema },
  { title: 'TablesSnapshot' },
);
export type TablesSnapshot = Static<typeof TablesSnapshotSchema>;

/** One namespace read again after a change: its node (missing once it is gone) and the bridges it hosts. */
export const TablesDeltaSchema = Type.Object(
  {
    lab: Type.String(),
    namespace: Type.String(),
    node: Type.String(),
    state: Type.Object({
      revision: Type.Integer(),
      node: Type.Optional(NodeViewSchema),
      bridges: Type.Array(BridgeViewSchema),
    }),
    coalesced: Type.Integer({
      description:
        'Deltas this subscriber did not get because a newer one for the same namespace replaced them while it was behind (a total so far). Nothing is lost: each delta is the namespace’s whole state.',
    }),
  },
  { title: 'TablesDelta' },
);
export type TablesDelta = Static<typeof TablesDeltaSchema>;

/** One interface's counters (the kernel's, since the interface was created). */
export const InterfaceCountersSchema = Type.Object(
  {
    rxPackets: Type.Integer(),
    txPackets: Type.Integer(),
    rxBytes: Type.Integer(),
    txBytes: Type.Integer(),
    rxDropped: Type.Integer(),
    txDropped: Type.Integer(),
  },
  { title: 'InterfaceCounters' },
);
export type InterfaceCounters = Static<typeof InterfaceCountersSchema>;

/**
 * Interface counters of a subscribed lab, sampled once per second while it has subscribers (read
 * through the tables watcher's netlink sockets: no process per sample). Sent volatile: a client
 * that is not ready misses the sample, the next one supersedes it. Rates come from two samples.
 */
export const TablesCountersSchema = Type.Object(
  {
    lab: Type.String(),
    at: Type.Number({ description: 'When the sample was taken (epoch ms).' }),
    nodes: Type.Record(Type.String(), Type.Record(Type.String(), InterfaceCountersSchema), {
      description: 'Per node (the node name, `_host` for a lab’s implicit bridge host), per interface name.',
    }),
  },
  { title: 'TablesCounters' },
);
export type TablesCounters = Static<typeof TablesCountersSchema>;

/** Set by the server at the handshake: what the socket's token may do. */
export interface SocketData {
  scope: { role: 'instructor' } | { role: 'student'; lab: string };
  /**
   * On an agent, a coordinator's connection that relays a student's streams (handshake
   * `auth.readBudgetOf`): the student's lab, whose capture read budget its captures share.
   */
  readBudgetOf?: string;
}
