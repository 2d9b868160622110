// How the ping panel's run takes the live socket's events. The run carries its stream's id from the
// moment the panel sends `ping:start` (the client chooses it), so an event is the run's exactly when
// it carries that id — whether it arrives before or after the start's acknowledgement.
import type { PingEvent, PingReply, PingSummary } from '@patchbay/protocol';
import type { Run } from './PingReplies';

export type PingStreamEvent =
  | { kind: 'reply'; r: PingReply }
  | { kind: 'event'; e: PingEvent }
  | { kind: 'summary'; s: PingSummary };

/** The run after `ev` (`key`: the new entry's list key); the same run when `ev` is another stream's or the run ended. */
export function takePingEvent(run: Run | undefined, ev: PingStreamEvent, key: number): Run | undefined {
  const id = ev.kind === 'reply' ? ev.r.id : ev.kind === 'event' ? ev.e.id : ev.s.id;
  if (!run || run.id !== id || run.summary) return run;
  if (ev.kind === 'summary') return { ...run, summary: ev.s };
  return {
    ...run,
    entries: [...run.entries, ev.kind === 'reply' ? { kind: 'reply', key, r: ev.r } : { kind: 'event', key, e: ev.e }],
  };
}
