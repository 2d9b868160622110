// Packet captures (API.md "Live"): started over socket.io, lines streamed to every subscriber with
// flow control, the pcap downloaded over HTTP. Shared by the server and the web app.
import { Type, type Static } from '@sinclair/typebox';
import { StreamIdSchema } from './live.js';

export const CAPTURE_LIMIT_DEFAULTS = Object.freeze({ seconds: 300, packets: 100_000, bytes: 64 * 1024 * 1024 });

export const CaptureLimitsSchema = Type.Object(
  {
    seconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: CAPTURE_LIMIT_DEFAULTS.seconds,
      description: 'Stops after this long.',
    }),
    packets: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: CAPTURE_LIMIT_DEFAULTS.packets,
      description: 'Stops after this many packets.',
    }),
    bytes: Type.Integer({
      minimum: 1024,
      maximum: 1024 * 1024 * 1024,
      default: CAPTURE_LIMIT_DEFAULTS.bytes,
      description: 'Stops after this many pcap bytes.',
    }),
  },
  { title: 'CaptureLimits', additionalProperties: false },
);
export type CaptureLimits = Static<typeof CaptureLimitsSchema>;

export const CaptureStartSchema = Type.Object(
  {
    id: StreamIdSchema,
    lab: Type.String({ minLength: 1 }),
    node: Type.String({ minLength: 1, description: 'A node, a host, or a bridge (captures in its host).' }),
    interface: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 15,
        description:
          "An interface in the node's namespace (e.g. a bridge port in a host), or `any`. Default: the bridge itself for a bridge, `any` otherwise.",
      }),
    ),
    filter: Type.Optional(
      Type.String({ maxLength: 1024, description: 'pcap-filter expression (as for tcpdump), e.g. `icmp or arp`.' }),
    ),
    linkHeaders: Type.Boolean({ default: false, description: 'Show MAC addresses and ethertypes (tcpdump -e).' }),
    snaplen: Type.Integer({
      minimum: 64,
      maximum: 262_144,
      default: 262_144,
      description: 'Bytes kept of each packet.',
    }),
    limits: Type.Optional(Type.Partial(CaptureLimitsSchema)),
  },
  { title: 'CaptureStart', additionalProperties: false },
);
export type CaptureStart = Static<typeof CaptureStartSchema>;
export type CaptureStartInput = Pick<CaptureStart, 'id' | 'lab' | 'node'> &
  Partial<Omit<CaptureStart, 'id' | 'lab' | 'node'>>;

export const CaptureRefSchema = Type.Object(
  { id: StreamIdSchema },
  { title: 'CaptureRef', additionalProperties: false },
);
export type CaptureRef = Static<typeof CaptureRefSchema>;

export const CaptureEndReasonSchema = Type.Union(
  [
    'stopped',
    'seconds',
    'packets',
    'bytes',
    'memory',
    'unsubscribed',
    'lab-changed',
    'exited',
    'error',
    'shutdown',
  ].map((r) => Type.Literal(r)),
  {
    description:
      "stopped (capture:stop); seconds/packets/bytes (a limit was reached); memory (the server's memory for captures, `captureMemoryBytes`, is full of running captures: see message); unsubscribed (its last subscriber left); lab-changed (its node or interface was removed by an apply or destroy); exited (tcpdump ended by itself, e.g. the interface disappeared: see message); error; shutdown (the server stopped).",
  },
);
export type CaptureEndReason =
  | 'stopped'
  | 'seconds'
  | 'packets'
  | 'bytes'
  | 'memory'
  | 'unsubscribed'
  | 'lab-changed'
  | 'exited'
  | 'error'
  | 'shutdown';

export const CaptureInfoSchema = Type.Object(
  {
    id: Type.String({
      description:
        'The id its starter chose (capture:start): the capture’s name on the server, for subscribing and downloading.',
    }),
    lab: Type.String(),
    node: Type.String(),
    interface: Type.String(),
    filter: Type.String(),
    linkHeaders: Type.Boolean(),
    limits: CaptureLimitsSchema,
    state: Type.Union([Type.Literal('running'), Type.Literal('ended')]),
    startedAt: Type.Number({ description: 'Epoch milliseconds.' }),
    endedAt: Type.Optional(Type.Number()),
    reason: Type.Optional(CaptureEndReasonSchema),
    message: Type.Optional(Type.String({ description: 'Why tcpdump ended, in its words.' })),
    packets: Type.Integer({ description: 'Packets captured so far.' }),
    bytes: Type.Integer({ description: 'pcap bytes captured so far (record headers included).' }),
    decoderDropped: Type.Integer({
      description: 'Packets not turned into lines because the decoder fell behind (they are in the pcap).',
    }),
    kernelDropped: Type.Optional(
      Type.Integer({ description: 'Packets the kernel dropped before tcpdump read them (known when it ends).' }),
    ),
    readLimit: Type.Optional(
      Type.Integer({
        description:
          "Packets per second the server reads from all of this student's captures together (the `studentCapturePacketsPerSecond` limit); absent: not bounded.",
      }),
    ),
    readPausedMs: Type.Optional(
      Type.Integer({
        description:
          'How long the server stopped reading this capture to keep to `readLimit`: meanwhile tcpdump waited, and the kernel dropped what its buffer could not hold (`kernelDropped`).',
      }),
    ),
    pcapBytes: Type.Integer({
      description: 'Size of the pcap kept for download: the most recent packets, up to the ring size.',
    }),
    pcapPackets: Type.Integer(),
    stored: Type.Optional(
      Type.Union([Type.Literal('memory'), Type.Literal('disk')], {
        description:
          "Where the pcap is held: in the server's memory, or (an ended capture, once the server's captures outgrew `captureMemoryBytes`) in a file of its data directory.",
      }),
    ),
    download: Type.String({ description: 'GET this path (with the token) for the pcap.' }),
  },
  { title: 'CaptureInfo' },
);
export type CaptureInfo = Static<typeof CaptureInfoSchema>;

/** The pcap bytes captures hold, in memory and in files, with the server's caps on both. */
export const CaptureStorageSchema = Type.Object(
  {
    memoryBytes: Type.Integer({ description: 'pcap bytes held in memory (running and ended captures).' }),
    diskBytes: Type.Integer({ description: 'pcap bytes of ended captures written to files of the data directory.' }),
    memoryCapBytes: Type.Integer({
      description: 'The server-wide cap on memoryBytes (`captureMemoryBytes` of PATCHBAY_LIMITS).',
    }),
    diskCapBytes: Type.Integer({
      description:
        'The server-wide cap on diskBytes (`captureDiskBytes`); beyond it the oldest ended captures are dropped.',
    }),
    captures: Type.Integer({ description: 'Captures counted (running and ended).' }),
    spilled: Type.Integer({ description: 'Ended captures written to files so far (since the server started).' }),
    dropped: Type.Integer({ description: 'Ended captures dropped to stay within the caps so far.' }),
    memoryStopped: Type.Integer({ description: 'Running captures stopped because memory was full so far.' }),
  },
  { title: 'CaptureStorage' },
);
export type CaptureStorage = Static<typeof CaptureStorageSchema>;

export const CaptureListSchema = Type.Object(
  {
    captures: Type.Array(CaptureInfoSchema),
    held: Type.Optional(
      Type.Object(
        {
          memoryBytes: Type.Integer({ description: "This lab's pcap bytes in memory." }),
          diskBytes: Type.Integer({ description: "This lab's pcap bytes in files." }),
        },
        { description: 'What these captures hold.' },
      ),
    ),
    server: Type.Optional(CaptureStorageSchema),
  },
  { title: 'CaptureList' },
);
export type CaptureList = Static<typeof CaptureListSchema>;

/** One packet's line: `ts` epoch milliseconds (µs in the fraction), `text` tcpdump's line without its timestamp. */
export const CaptureLineSchema = Type.Object(
  { ts: Type.Optional(Type.Number()), text: Type.String() },
  { title: 'CaptureLine' },
);
export type CaptureLine = Static<typeof CaptureLineSchema>;

const dropped = Type.Integer({
  description: 'Every line this subscriber has missed so far because it did not keep up.',
});

/**
 * A batch of lines. A client must call the ack when it has taken a batch — a subscriber has at most
 * a few batches unacknowledged, beyond that lines are dropped and counted (`dropped`), never queued.
 */
export const CaptureLinesSchema = Type.Object(
  { id: Type.String(), lines: Type.Array(CaptureLineSchema), dropped },
  { title: 'CaptureLines' },
);
export type CaptureLines = Static<typeof CaptureLinesSchema>;

/** The capture's counters, once a second while it runs and once at the end; `dropped` as in CaptureLines. */
export const CaptureStatusSchema = Type.Composite([CaptureInfoSchema, Type.Object({ dropped })], {
  title: 'CaptureStatus',
});
export type CaptureStatus = Static<typeof CaptureStatusSchema>;
