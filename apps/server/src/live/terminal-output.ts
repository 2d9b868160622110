// A terminal's output on its way to the browser, with back-pressure. Output is batched per I/O
// turn and sent with an ack; at most `inflightBatches` are unacknowledged, the rest waits in the
// queue. When the queue reaches `pendingChars` the pty is paused (its reads stop, the kernel's pty
// buffer fills, the shell's writes block) until acks bring it under half of that: memory per
// terminal is bounded and nothing is dropped.

export interface TerminalOutputLimits {
  /** Largest `terminal:output` batch, in characters (chunks are never split, so one can be larger). */
  batchChars: number;
  /** Unacknowledged `terminal:output` batches per terminal. */
  inflightBatches: number;
  /** Output queued (not yet sent) at which the pty is paused; resumed under half of it. */
  pendingChars: number;
}

/** What the output needs of a pty: to stop and restart its reads. */
export interface PausablePty {
  pause(): void;
  resume(): void;
}

/**
 * Sends one batch; calls `acked` when the browser acknowledges it. False when there is nobody to
 * send to (the socket is gone and the terminal is being killed): the batch is dropped.
 */
export type SendBatch = (data: string, acked: () => void) => boolean;

export class TerminalOutput {
  /** Output not sent yet (whole chunks as node-pty decoded them: never split inside a character). */
  private readonly queue: string[] = [];
  private queuedChars = 0;
  private credit: number;
  private isPaused = false;
  private flushQueued = false;
  private finished = false;

  constructor(
    private readonly limits: TerminalOutputLimits,
    private readonly pty: PausablePty,
    private readonly send: SendBatch,
  ) {
    this.credit = limits.inflightBatches;
  }

  /** Characters waiting to be sent. */
  get queued(): number {
    return this.queuedChars;
  }

  /** Whether the pty's reads are paused. */
  get paused(): boolean {
    return this.isPaused;
  }

  /** Output from the pty; `mayPause` false once the terminal is being ended (it must read on to notice the exit). */
  push(data: string, mayPause: boolean): void {
    this.queue.push(data);
    this.queuedChars += data.length;
    if (!this.isPaused && mayPause && this.queuedChars >= this.limits.pendingChars) {
      this.isPaused = true;
      this.pty.pause();
    }
    this.scheduleFlush();
  }

  /** The shell has exited: what is left is bounded and is sent now, before `terminal:exit`. */
  finish(): void {
    this.finished = true;
    this.flush(true);
  }

  /** Reads on (a paused pty would not notice its shell's exit until node-pty's 200 ms timeout). */
  unpause(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.pty.resume();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => this.flush());
  }

  /** Sends queued output: batches of about `batchChars` while there is credit, or all of it (`final`). */
  private flush(final = false): void {
    this.flushQueued = false;
    const { batchChars, pendingChars } = this.limits;
    while (this.queue.length > 0 && (final || this.credit > 0)) {
      let n = 0;
      let count = 0;
      while (count < this.queue.length && (count === 0 || n + this.queue[count]!.length <= batchChars))
        n += this.queue[count++]!.length;
      const data = this.queue.splice(0, count).join('');
      this.queuedChars -= data.length;
      const sent = this.send(data, () => {
        this.credit++;
        if (this.queue.length > 0) this.scheduleFlush();
      });
      if (sent) this.credit--;
    }
    if (this.isPaused && !this.finished && this.queuedChars <= pendingChars / 2) {
      this.isPaused = false;
      this.pty.resume();
    }
  }
}
