// Browser terminals (API.md "Live"): a shell in a lab node's sandbox (docs/server.md "Terminals"),
// driven over socket.io. Output is sent in batches the client acknowledges (the server's flow
// control: while the client is behind, the shell is paused, nothing is dropped). Shared by the
// server and the web app.
import { Type, type Static } from '@sinclair/typebox';
import { StreamIdSchema } from './live.js';

export const TERMINAL_MAX_COLS = 500;
export const TERMINAL_MAX_ROWS = 200;
/** Longest `terminal:input` data (UTF-16 code units, i.e. string length): a large paste is split by the client. */
export const TERMINAL_MAX_INPUT = 64 * 1024;

const cols = Type.Integer({ minimum: 1, maximum: TERMINAL_MAX_COLS, description: 'Columns of the terminal.' });
const rows = Type.Integer({ minimum: 1, maximum: TERMINAL_MAX_ROWS, description: 'Rows of the terminal.' });
const id = StreamIdSchema;

export const TerminalOpenSchema = Type.Object(
  {
    id,
    lab: Type.String({ minLength: 1 }),
    node: Type.String({
      minLength: 1,
      description: 'A `netns` or `router` node (hosts and bridges are never given to a shell).',
    }),
    cols,
    rows,
  },
  { title: 'TerminalOpen', additionalProperties: false },
);
export type TerminalOpen = Static<typeof TerminalOpenSchema>;

export const TerminalInputSchema = Type.Object(
  { id, data: Type.String({ maxLength: TERMINAL_MAX_INPUT, description: 'Keystrokes or pasted text, as typed.' }) },
  { title: 'TerminalInput', additionalProperties: false },
);
export type TerminalInput = Static<typeof TerminalInputSchema>;

export const TerminalResizeSchema = Type.Object(
  { id, cols, rows },
  { title: 'TerminalResize', additionalProperties: false },
);
export type TerminalResize = Static<typeof TerminalResizeSchema>;

export const TerminalRefSchema = Type.Object({ id }, { title: 'TerminalRef', additionalProperties: false });
export type TerminalRef = Static<typeof TerminalRefSchema>;

/** What the terminal printed since the previous batch (one batch per I/O turn at most). */
export const TerminalOutputSchema = Type.Object(
  { id: Type.String(), data: Type.String() },
  { title: 'TerminalOutput' },
);
export type TerminalOutput = Static<typeof TerminalOutputSchema>;

/**
 * exited: the shell ended by itself (`exit`, Ctrl-D); closed: `terminal:close` or the socket
 * disconnected; lab-changed: the node's namespace was removed by an apply or a destroy; lab-reset:
 * the lab was reset (message: by whom, e.g. its student's instructor); shutdown: the
 * server stopped; error: the sandbox could not run (see message).
 */
export const TerminalExitReasonSchema = Type.Union([
  Type.Literal('exited'),
  Type.Literal('closed'),
  Type.Literal('lab-changed'),
  Type.Literal('lab-reset'),
  Type.Literal('shutdown'),
  Type.Literal('error'),
]);
export type TerminalExitReason = Static<typeof TerminalExitReasonSchema>;

/** Always the last event of a terminal; everything inside its sandbox has been killed. */
export const TerminalExitSchema = Type.Object(
  {
    id: Type.String(),
    code: Type.Optional(Type.Integer({ description: 'The shell’s exit code, when it exited by itself.' })),
    signal: Type.Optional(
      Type.Integer({
        description: 'The signal that ended it (a number, as the kernel reports it), when there was one.',
      }),
    ),
    reason: TerminalExitReasonSchema,
    message: Type.Optional(Type.String()),
  },
  { title: 'TerminalExit' },
);
export type TerminalExit = Static<typeof TerminalExitSchema>;
