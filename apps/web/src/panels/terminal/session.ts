// One browser terminal: an xterm.js screen tied to a shell on the server (`terminal:open` → output
// and exit routed here by id). It lives outside React: the screen is created once in its own element,
// which views attach to and detach from (so StrictMode's double effects and tab switches never open
// a second shell or lose the scrollback). Output is acknowledged once xterm has parsed it: that ack
// is the server's flow control, so a busy shell waits for the browser instead of filling memory.
import type { LiveAck, TerminalExit } from '@patchbay/protocol';
import { TERMINAL_MAX_COLS, TERMINAL_MAX_ROWS } from '@patchbay/protocol';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import type { LiveSocket } from '../../api/live';
import { newStreamId } from '../../api/stream-id';
import { exitText, inputChunks } from '../terminal-format';

/** `lost`: the connection to the server dropped (its shell ended there); it reopens once the server is back. */
export type SessionState = 'new' | 'opening' | 'open' | 'lost' | 'ended';

const ACK_TIMEOUT_MS = 15_000;

const clamp = (n: number, max: number) => Math.max(1, Math.min(max, Math.floor(n)));

export class TerminalSession {
  readonly element: HTMLDivElement;
  readonly term: Terminal;
  private readonly fitAddon = new FitAddon();
  private opened = false;
  private disposed = false;
  /** The terminal's stream id, chosen here: the server's events for it carry it from the first one (a reopened terminal takes a new one). */
  id = newStreamId();
  state: SessionState = 'new';
  /** Why it ended (shown in its tab). */
  ended: string | undefined;
  /** Why it could not open (the server's answer). */
  refused: string | undefined;

  constructor(
    readonly key: number,
    readonly lab: string,
    readonly node: string,
    private readonly socket: LiveSocket,
    private readonly onChange: (s: TerminalSession) => void,
  ) {
    this.element = document.createElement('div');
    this.element.className = 'pb-term-host';
    this.term = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace',
      fontSize: 13,
      scrollback: 5000,
      rightClickSelectsWord: true,
      theme: { background: '#111827', foreground: '#e5e7eb' },
    });
    this.term.loadAddon(this.fitAddon);
    // Copy and paste like a desktop terminal: Ctrl+Shift+C copies the selection, Ctrl+Shift+V lets
    // the browser paste (xterm takes the paste event). Ctrl+C stays the shell's interrupt.
    this.term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
      if (e.code === 'KeyC') {
        e.preventDefault(); // Chrome's "inspect element"
        const text = this.term.getSelection();
        if (text) void navigator.clipboard?.writeText(text).catch(() => undefined);
        return false;
      }
      if (e.code === 'KeyV') return false; // the browser's paste event follows
      return true;
    });
    this.term.onData((data) => {
      if (this.state !== 'open') return;
      for (const chunk of inputChunks(data)) this.socket.emit('terminal:input', { id: this.id, data: chunk });
    });
    this.term.onResize(({ cols, rows }) => {
      if (this.state === 'open')
        this.socket.emit('terminal:resize', {
          id: this.id,
          cols: clamp(cols, TERMINAL_MAX_COLS),
          rows: clamp(rows, TERMINAL_MAX_ROWS),
        });
    });
  }

  /** Puts the screen into `container` (once visible) and opens the shell the first time. */
  attach(container: HTMLElement): void {
    if (this.element.parentElement !== container) container.appendChild(this.element);
    if (!this.opened) {
      this.term.open(this.element);
      this.opened = true;
    }
    this.fit();
    if (this.state === 'new') void this.start();
  }

  detach(): void {
    this.element.remove();
  }

  /** Fits the screen to its element, when the element is shown (a hidden one has no size). */
  fit(): void {
    if (!this.opened || this.element.clientWidth === 0 || this.element.clientHeight === 0) return;
    try {
      this.fitAddon.fit();
    } catch {
      /* not rendered yet */
    }
  }

  focus(): void {
    this.term.focus();
  }

  private async start(): Promise<void> {
    if (!this.socket.connected) {
      // Opening now would wait for an answer that cannot come: wait for the server instead.
      this.lost();
      return;
    }
    this.state = 'opening';
    this.onChange(this);
    const dims = this.fitAddon.proposeDimensions();
    const cols = dims && Number.isFinite(dims.cols) ? clamp(dims.cols, TERMINAL_MAX_COLS) : 80;
    const rows = dims && Number.isFinite(dims.rows) ? clamp(dims.rows, TERMINAL_MAX_ROWS) : 24;
    try {
      // socket.io types an ack that has a timeout as `any`; the contract says LiveAck.
      const ack = (await this.socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck('terminal:open', { id: this.id, lab: this.lab, node: this.node, cols, rows })) as LiveAck;
      if (!ack.ok) {
        this.refused = ack.error;
        this.state = 'ended';
        this.ended = 'refused';
      } else if (this.disposed) {
        // Closed (tab closed, lab changed) while the server was opening it.
        this.socket.emit('terminal:close', { id: this.id });
      } else if (this.state === 'opening' && !this.socket.connected) {
        // Answered, then the connection dropped before this ran: the shell is gone with it.
        this.lost();
        return;
      } else if (this.state === 'opening') {
        this.state = 'open';
        if (this.term.cols !== cols || this.term.rows !== rows)
          this.socket.emit('terminal:resize', { id: this.id, cols: this.term.cols, rows: this.term.rows });
      }
      // Otherwise it has ended already: its output and exit came before the ack (routed by id).
    } catch {
      if (!this.socket.connected) {
        // The connection dropped while opening: reopen when it is back rather than give up.
        this.state = 'opening';
        this.lost();
        return;
      }
      this.refused = 'the server did not answer in time';
      this.state = 'ended';
      this.ended = 'refused';
    }
    this.onChange(this);
  }

  /** A batch of output: acknowledged once xterm has taken it. */
  output(data: string, ack: () => void): void {
    this.term.write(data, ack);
  }

  exit(e: TerminalExit): void {
    if (this.state === 'ended') return;
    // The server is stopping (a restart): like a lost connection, the terminal reopens when it is back.
    if (e.reason === 'shutdown') return this.lost('the server stopped: this shell ended');
    this.state = 'ended';
    this.ended = exitText(e);
    this.term.write(`\r\n\x1b[2m[${this.ended}]\x1b[0m\r\n\x1b[?25l`); // and hide the cursor
    this.term.options.disableStdin = true;
    this.onChange(this);
  }

  /** The connection dropped: the server ends its shells then. The screen stays, and says so; `reopen()` starts a new shell in it. */
  lost(why = 'the connection to the server was lost: this shell ended'): void {
    if (this.state !== 'open' && this.state !== 'opening' && this.state !== 'new') return;
    if (this.disposed) return;
    const wasOpen = this.state === 'open';
    this.state = 'lost';
    this.ended = 'disconnected from the server: reopens when it is back';
    if (wasOpen) this.term.write(`\r\n\x1b[2m[${why}]\x1b[0m\r\n`);
    this.term.options.disableStdin = true;
    this.onChange(this);
  }

  /** The server is back: a new shell in the same node and screen (a lost terminal only). */
  reopen(): void {
    if (this.state !== 'lost' || this.disposed) return;
    this.id = newStreamId();
    this.ended = undefined;
    this.term.options.disableStdin = false;
    this.term.write('\x1b[2m[reconnected: a new shell]\x1b[0m\r\n');
    this.state = 'new';
    // Not shown yet (never attached): it opens when its tab is shown, as a new terminal does.
    if (this.opened) void this.start();
    else this.onChange(this);
  }

  /** Ends the shell (if it runs) and frees the screen. */
  dispose(): void {
    if (this.state === 'open' && this.socket.connected) this.socket.emit('terminal:close', { id: this.id });
    this.disposed = true;
    this.state = 'ended';
    this.detach();
    this.term.dispose();
  }
}
