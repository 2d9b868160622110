// The token (API.md): taken once from the address (`/?token=…`, as the server prints it), kept in
// localStorage, and removed from the address bar so it is not bookmarked or shared by accident.
const KEY = 'patchbay.token';

export function takeTokenFromAddress(): void {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (!token) return;
  localStorage.setItem(KEY, token);
  url.searchParams.delete('token');
  window.history.replaceState(null, '', url.pathname + (url.search ? url.search : '') + url.hash);
}

export const getToken = (): string | null => localStorage.getItem(KEY);
export const setToken = (token: string): void => localStorage.setItem(KEY, token);
export const forgetToken = (): void => localStorage.removeItem(KEY);

// A student's token covers their own lab and nothing else (API.md). It is kept per lab, beside the
// instructor's token and never in its place: one browser may be an instructor's (trying the join link)
// and a student's at once, and each page must keep talking with the token it was given.
const LAB_KEY = 'patchbay.token.lab.';
const JOIN_KEY = 'patchbay.join.lab.';

/** Who joined which session into this lab (shown on the exercise page). */
export interface JoinRecord {
  name: string;
  session: string;
  student: string;
}

export const labTokenKey = (lab: string): string => `${LAB_KEY}${lab}`;
export const getLabToken = (lab: string): string | null => localStorage.getItem(labTokenKey(lab));

export function rememberJoin(lab: string, token: string, record: JoinRecord): void {
  localStorage.setItem(labTokenKey(lab), token);
  localStorage.setItem(`${JOIN_KEY}${lab}`, JSON.stringify(record));
}

export function joinRecord(lab: string): JoinRecord | undefined {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(`${JOIN_KEY}${lab}`) ?? 'null');
    if (raw && typeof raw === 'object' && 'name' in raw && 'session' in raw && 'student' in raw) {
      const r = raw as Record<string, unknown>;
      if (typeof r['name'] === 'string' && typeof r['session'] === 'string' && typeof r['student'] === 'string') {
        return { name: r['name'], session: r['session'], student: r['student'] };
      }
    }
  } catch {
    // A damaged entry is as good as none.
  }
  return undefined;
}

const CODE_KEY = 'patchbay.join.code.';

/** Remembers that this browser joined the session with `code` into `lab` (to offer "continue" on a second visit). */
export function rememberJoinCode(code: string, lab: string): void {
  localStorage.setItem(`${CODE_KEY}${code.toUpperCase()}`, lab);
}

/** The lab this browser joined with `code`, while it still has that lab's token. */
export function joinedLabFor(code: string): { lab: string; record?: JoinRecord } | undefined {
  const lab = localStorage.getItem(`${CODE_KEY}${code.toUpperCase()}`);
  if (!lab || !getLabToken(lab)) return undefined;
  const record = joinRecord(lab);
  return record ? { lab, record } : { lab };
}

/** The labs this browser joined as a student (it holds their tokens), by name. */
export function joinedLabs(): string[] {
  const labs: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key?.startsWith(LAB_KEY)) labs.push(key.slice(LAB_KEY.length));
  }
  return labs.sort();
}

export function forgetLab(lab: string): void {
  localStorage.removeItem(labTokenKey(lab));
  localStorage.removeItem(`${JOIN_KEY}${lab}`);
}

/** The token an exercise page uses: the lab's own (a student), else the page's (an instructor's look). */
export const tokenForLab = (lab: string): string | null => getLabToken(lab) ?? getToken();
