// Before the app renders (main.tsx): a student's browser at `/` goes to its exercise. Apart from the
// editor so that every page's first chunk stays small (the editor loads only on `/`).
import { getToken, joinedLabs } from '../api/token';
import { routeOf } from '../routes';
import { editorStart } from './access';

export const exercisePath = (lab: string) => `/exercise/${encodeURIComponent(lab)}`;

/**
 * Before the first render: a student's browser at `/` is sent to its exercise, replacing `/` in the
 * history (Back must not bring them here again). Returns whether the address changed.
 */
export function sendStudentToExercise(): boolean {
  if (routeOf(window.location.pathname).page !== 'editor') return false;
  const start = editorStart(getToken(), joinedLabs());
  if (start.page !== 'exercise') return false;
  window.history.replaceState(null, '', exercisePath(start.lab));
  return true;
}
