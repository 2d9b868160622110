// What the editor's address (`/`) does for whoever opens it: the editor needs the instructor's
// token (every lab route does); a student holds only the tokens of the labs they joined, so `/`
// sends them to their exercise instead of an editor whose every call is refused. And what the page
// says when the server cannot be reached, or when there is no token at all: what still works.

export type EditorStart =
  /** The instructor's token is here: the editor, as usual. */
  | { page: 'editor' }
  /** No instructor token, one joined lab: that exercise. */
  | { page: 'exercise'; lab: string }
  /** No instructor token, several joined labs: the student picks one. */
  | { page: 'choose-exercise'; labs: string[] }
  /** No token at all: the editor, drawing only, saying how to get a token. */
  | { page: 'no-token' };

export function editorStart(instructorToken: string | null, joinedLabs: readonly string[]): EditorStart {
  if (instructorToken) return { page: 'editor' };
  if (joinedLabs.length === 1) return { page: 'exercise', lab: joinedLabs[0]! };
  if (joinedLabs.length > 1) return { page: 'choose-exercise', labs: [...joinedLabs] };
  return { page: 'no-token' };
}

/** How to get the instructor's token (docs/server.md "Data and tokens"). */
export const HOW_TO_GET_A_TOKEN =
  'Open the address `patchbay serve` printed when it started (it ends in ?token=…); the token is also PATCHBAY_ADMIN_TOKEN, or the file admin-token in the server’s data folder. A student joins with the link the instructor gives (…/join/CODE).';

/**
 * The editor's banner when the live connection fails. Without a token nothing reaches the server:
 * only drawing, arranging and exporting the file work. With one, a lost connection stops the live
 * parts; whether Apply works depends on the server being reachable, which this banner cannot promise.
 */
export function connectionNotice(hasToken: boolean, error: string | undefined): string | undefined {
  if (!hasToken)
    return `This browser has no Patchbay token. You can draw, arrange and export the lab (YAML), but saving, applying, live tables, pings, captures and terminals need one. ${HOW_TO_GET_A_TOKEN}`;
  if (!error) return undefined;
  return `${error} — drawing and exporting still work; saving, applying, live tables, pings and captures need the server.`;
}
