// /author: turn a lab into an exercise. What opens: what the editor just handed over ("Make
// exercise", or a scenario file imported in its Open dialog), else the working draft kept in this
// browser, else a start screen (a built-in exercise or a scenario file as a starting point).
import { useEffect, useState } from 'react';
import { autoLayout } from '../model/layout';
import { navigate } from '../routes';
import { AuthorWorkspace } from './AuthorWorkspace';
import { BuiltinDialog } from './BuiltinDialog';
import { HANDOFF_KEY, loadWorking, peekHandOver } from './handoff';
import { openingFromText, type Opening } from './opening';
import { draftFromLab } from './scenario-draft';
import './author.css';
import { FilePickButton } from '../components/FilePickButton';

/** Reads, never removes: React may run this twice (StrictMode); the page removes the hand-over once it has opened. */
function initialOpening(): Opening | { error: string } | undefined {
  const handed = peekHandOver(sessionStorage);
  const working = loadWorking(localStorage);
  if (handed?.kind === 'lab') {
    const positions =
      handed.positions && Object.keys(handed.positions).length ? handed.positions : autoLayout(handed.lab);
    // The same lab again (edited in the editor): keep the exercise written so far, take the new lab.
    if (working && working.draft.lab.name === handed.lab.name) {
      return {
        working: { draft: { ...working.draft, lab: handed.lab }, positions },
        note: `lab ${handed.lab.name} updated from the editor; the exercise written so far is kept`,
      };
    }
    return {
      working: { draft: draftFromLab(handed.lab), positions },
      note: `new exercise around lab ${handed.lab.name}`,
    };
  }
  if (handed?.kind === 'scenario') return openingFromText(handed.name, handed.text);
  return working ? { working } : undefined;
}

export function AuthorPage() {
  const [opening, setOpening] = useState(initialOpening);
  const [generation, setGeneration] = useState(0);
  useEffect(() => sessionStorage.removeItem(HANDOFF_KEY), []);

  if (opening && 'working' in opening) return <AuthorWorkspace key={generation} opening={opening} />;
  return (
    <StartScreen
      {...(opening && 'error' in opening ? { error: opening.error } : {})}
      onOpen={(o) => {
        setOpening(o);
        setGeneration((g) => g + 1);
      }}
    />
  );
}

function StartScreen({ error, onOpen }: { error?: string; onOpen: (o: Opening | { error: string }) => void }) {
  const [builtins, setBuiltins] = useState(false);
  return (
    <div className="pb-au-start" data-testid="author-start">
      <h1>Author an exercise</h1>
      {error && (
        <p className="pb-error" role="alert">
          {error}
        </p>
      )}
      <p>An exercise is a starting lab, instructions, live checks, hints and a reference solution. Start from:</p>
      <ul>
        <li>
          <button type="button" onClick={() => navigate('/')}>
            A lab in the editor
          </button>{' '}
          <span className="pb-muted">draw or open it, then press “Make exercise”</span>
        </li>
        <li>
          <button type="button" onClick={() => setBuiltins(true)} data-testid="start-builtin">
            A built-in exercise…
          </button>
        </li>
        <li>
          <FilePickButton
            testid="start-import"
            inputTestid="start-file"
            onFile={(name, text) => onOpen(openingFromText(name, text))}
          >
            A scenario file…
          </FilePickButton>
        </li>
      </ul>
      {builtins && (
        <BuiltinDialog
          onClose={() => setBuiltins(false)}
          onOpen={(id, text) => onOpen(openingFromText(`${id}.yaml`, text))}
        />
      )}
    </div>
  );
}
