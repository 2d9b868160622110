// The classroom routes (packages/protocol/src/classroom.ts): scenarios and sessions for the
// instructor, join for anyone with a code, and a lab's exercise for whoever holds a token covering
// that lab. `token` is explicit where a student's token may be the one to use (api/token.ts).
import type { CheckRun, ExerciseView, HintsView, Joined, JoinInput, ScenarioList, Session, SessionCreateInput, SessionEnded, SessionList } from '@patchbay/protocol';
import type { Lab } from '@patchbay/topology';
import { getToken } from './token';
import { request } from './http';

const enc = encodeURIComponent;

/** The routes of one lab's exercise, with the token that covers it. */
export function exerciseApi(lab: string, token: string | null) {
  const base = `/api/labs/${enc(lab)}`;
  return {
    lab: () => request<Lab>('GET', base, undefined, token),
    exercise: () => request<ExerciseView>('GET', `${base}/exercise`, undefined, token),
    checkNow: () => request<CheckRun>('POST', `${base}/checks`, {}, token),
    revealHint: () => request<HintsView>('POST', `${base}/hints`, {}, token),
    reset: () => request<CheckRun>('POST', `${base}/reset`, {}, token),
  };
}
export type ExerciseApi = ReturnType<typeof exerciseApi>;

/** The instructor's routes (the page's token: the admin token). */
export const classApi = {
  scenarios: () => request<ScenarioList>('GET', '/api/scenarios', undefined, getToken()),
  sessions: () => request<SessionList>('GET', '/api/sessions', undefined, getToken()),
  session: (id: string) => request<Session>('GET', `/api/sessions/${enc(id)}`, undefined, getToken()),
  start: (input: SessionCreateInput) => request<Session>('POST', '/api/sessions', input, getToken()),
  end: (id: string) => request<SessionEnded>('DELETE', `/api/sessions/${enc(id)}`, undefined, getToken()),
  resetStudent: (session: string, student: string) => request<CheckRun>('POST', `/api/sessions/${enc(session)}/students/${enc(student)}/reset`, {}, getToken()),
};

/** Public (rate limited): no token, a student may have none yet. */
export const join = (input: JoinInput) => request<Joined>('POST', '/api/join', input, null);
