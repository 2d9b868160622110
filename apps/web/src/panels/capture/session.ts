// The capture panel's state shapes: the counters of what was received, shown and dropped, and the
// current capture session (shared by the panel and its form and status views).

export interface Counters {
  /** Lines this client missed (the server's `dropped`, a running total). */
  clientDropped: number;
  /** Lines removed from the view to keep it at MAX_LINES. */
  droppedOldest: number;
  /** Lines that arrived during the current pause (not shown). */
  pausedCount: number;
  /** Lines not shown because of pauses since the last clear/start. */
  skippedTotal: number;
  /** Lines received for the current capture. */
  received: number;
}
export const zeroCounters = (): Counters => ({
  clientDropped: 0,
  droppedOldest: 0,
  pausedCount: 0,
  skippedTotal: 0,
  received: 0,
});

export interface Session {
  id?: string;
  lab: string;
  node: string;
  iface: string;
  starting: boolean;
  stopping: boolean;
  lost: boolean;
}
