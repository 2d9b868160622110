// The page at `/`: the editor for the instructor; a student (this browser holds only the tokens of
// labs it joined) goes to their exercise instead of an editor that the server refuses; with no
// token at all, the editor draws and exports and says how to get a token (editor/access.ts).
import { useEffect, useMemo } from 'react';
import { getToken, joinedLabs, joinRecord } from '../api/token';
import { navigate } from '../routes';
import { editorStart, HOW_TO_GET_A_TOKEN } from './access';
import { EditorPage } from './EditorPage';
import { exercisePath } from './student-redirect';

export function EditorEntry() {
  const start = useMemo(() => editorStart(getToken(), joinedLabs()), []);

  useEffect(() => {
    // Reached only if the browser joined a lab while this page was open: the same redirect, now.
    if (start.page === 'exercise') navigate(exercisePath(start.lab));
  }, [start]);

  if (start.page === 'editor') return <EditorPage />;
  if (start.page === 'no-token') return <EditorPage hasToken={false} />;
  if (start.page === 'exercise')
    return (
      <p className="pb-page-note" role="status" data-testid="to-exercise">
        Taking you to your exercise…
      </p>
    );
  return (
    <main className="pb-page-note" data-testid="choose-exercise">
      <h1>Your exercises</h1>
      <p>This browser joined these exercises; the editor needs the instructor’s token. {HOW_TO_GET_A_TOKEN}</p>
      <ul className="pb-list">
        {start.labs.map((lab) => {
          const r = joinRecord(lab);
          return (
            <li key={lab}>
              <a
                href={exercisePath(lab)}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(exercisePath(lab));
                }}
              >
                {r ? `${r.name} in session ${r.session}` : lab}
              </a>
            </li>
          );
        })}
      </ul>
    </main>
  );
}
