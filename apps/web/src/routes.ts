// Which page an address shows. The server answers every non-API path with the app (SPA fallback),
// so these are plain paths: /join/CODE (a student joins), /exercise/LAB (a student's exercise),
// /class and /class/SESSION (instructor: sessions and a session's dashboard), /author (turn the
// editor's lab into an exercise), anything else: the editor.
export type Route =
  | { page: 'editor' }
  | { page: 'join'; code: string }
  | { page: 'exercise'; lab: string }
  | { page: 'class'; session?: string; student?: string }
  | { page: 'author' };

export function routeOf(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'join':
      return parts[1] ? { page: 'join', code: parts[1] } : { page: 'join', code: '' };
    case 'exercise':
      return parts[1] ? { page: 'exercise', lab: parts[1] } : { page: 'editor' };
    case 'class':
      return { page: 'class', ...(parts[1] ? { session: parts[1] } : {}), ...(parts[2] ? { student: parts[2] } : {}) };
    case 'author':
      return { page: 'author' };
    default:
      return { page: 'editor' };
  }
}

/** Goes to `path` inside the app (no reload); pages listen for `popstate`. */
export function navigate(path: string): void {
  window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}
