// Pure texts of who changed a student's lab: the student through the API (the dashboard's marker),
// the instructor by a reset (the student's notice), a failover to another lab host (both), and a terminals-only session (the student's
// page says why their lab cannot be applied).
import type { StudentProgress } from '@patchbay/protocol';

/** `14:03` (hours and minutes, local time); `—` for a time that does not parse. */
export function hourMinute(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The dashboard's marker of a student's own changes through the API; undefined when there were none. */
export function apiChangesText(changes: StudentProgress['apiChanges']): string | undefined {
  if (!changes || changes.count < 1) return undefined;
  const times = changes.count === 1 ? 'once' : `${changes.count} times`;
  return `lab changed by the student via the API at ${hourMinute(changes.lastAt)}, ${times}`;
}

/** What a student is told after their instructor reset their lab. */
export const instructorResetText = (at: string): string =>
  `Your instructor reset your lab at ${hourMinute(at)}: the exercise starts again.`;

/** The dashboard's marker of a lab made again on another lab host because its host was lost. */
export function movedText(moved: StudentProgress['moved']): string | undefined {
  if (!moved) return undefined;
  return `lab made again at ${hourMinute(moved.at)}: its lab host ${moved.from} was lost (exercise reset)`;
}

/** What a student is told when their lab was made again on another lab host (the server's reason, else ours). */
export const failoverText = (at: string, message?: string): string =>
  message
    ? `${message} (${hourMinute(at)})`
    : `The lab host of your lab stopped answering at ${hourMinute(at)}: your lab was made again, and the exercise starts again.`;

/** What a student is told while their session is terminals only. */
export const TERMINALS_ONLY_TEXT =
  'Terminals only: your instructor does not let students change their lab through the API (apply, destroy) in this session. Work in the terminals; "Reset lab…" still works.';
