// The authoring workspace: the lab on the canvas (read-only: the lab is drawn in the editor; here
// nodes only move, and a click on one fills the active field), the exercise's form beside it, and
// the toolbar: open a built-in or a file, export, undo/redo, validate on the kernel, start a class.
// The draft and the layout are kept in localStorage after every change, so a reload loses nothing.
import { plural } from '@patchbay/topology';
import { formatScenarioProblem } from '@patchbay/scenarios';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { ApiError, client } from '../api/client';
import { Canvas } from '../components/Canvas';
import { autoLayout } from '../model/layout';
import { navigate } from '../routes';
import { createEditorStore } from '../store/editor';
import { createLiveStore } from '../store/live';
import { createAuthorStore } from './author-store';
import { BuiltinDialog } from './BuiltinDialog';
import { ChecksEditor } from './ChecksEditor';
import { AuthorContext, useAuthor, type AuthorCtx } from './fields';
import { saveWorking } from './handoff';
import { labFacts } from './lab-facts';
import { openingFromText, type Opening } from './opening';
import { ProofPanel, type ValidationView } from './ProofPanel';
import { draftToYaml, pickTargetPath } from './scenario-draft';
import { HintsSection, InstructionsSection, MetaSection, StepsSection } from './ScenarioForm';
import { FilePickButton } from '../components/FilePickButton';
import { downloadText } from '../download';
import { scenarioFileName } from '../export-names';

const isTyping = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));
const errorText = (e: unknown) => (e instanceof ApiError ? e.message : String(e));

export function AuthorWorkspace({ opening }: { opening: Opening }) {
  const store = useMemo(() => createAuthorStore(opening.working.draft), [opening]);
  const editor = useMemo(() => createEditorStore(opening.working.draft.lab, opening.working.positions), [opening]);
  const live = useMemo(() => createLiveStore(), []);
  const { draft, problems, pick, pickNote, canUndo, canRedo } = useStore(
    store,
    useShallow((s) => ({
      draft: s.draft,
      problems: s.problems,
      pick: s.pick,
      pickNote: s.pickNote,
      canUndo: s.past.length > 0,
      canRedo: s.future.length > 0,
    })),
  );
  const facts = useMemo(() => labFacts(draft.lab), [draft.lab]);
  const ctx: AuthorCtx = useMemo(() => ({ store, facts, problems }), [store, facts, problems]);
  const [notice, setNotice] = useState<{ kind: 'error' | 'info'; text: string } | undefined>(
    opening.note ? { kind: 'info', text: opening.note } : undefined,
  );
  const [validation, setValidation] = useState<ValidationView>();
  const [dialog, setDialog] = useState<'builtin'>();
  const [starting, setStarting] = useState(false);

  // A new lab (a built-in or a file opened, an undo across one): redraw it, laid out if it is new.
  useEffect(
    () =>
      store.subscribe((s, prev) => {
        if (s.draft.lab === prev.draft.lab || s.draft.lab === editor.getState().lab) return;
        const known = editor.getState().positions;
        const laidOut = Object.keys(s.draft.lab.nodes).every((n) => known[n]);
        editor.getState().load(s.draft.lab, laidOut ? known : autoLayout(s.draft.lab));
        editor.getState().fit();
      }),
    [store, editor],
  );

  // A click on a node selects it on the canvas: while a field is active, that fills the field.
  // The selection is cleared again so the same node can be clicked for the next field.
  useEffect(
    () =>
      editor.subscribe((s, prev) => {
        if (s.selected === prev.selected || s.selected.nodes.length !== 1 || !store.getState().pick) return;
        store.getState().pickNode(s.selected.nodes[0]!);
        editor.getState().select([], []);
      }),
    [store, editor],
  );

  // Keep the working draft (and where the nodes are) across reloads.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const save = () =>
      saveWorking(localStorage, { draft: store.getState().draft, positions: editor.getState().positions });
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(save, 300);
    };
    save();
    const offA = store.subscribe((s, p) => s.draft !== p.draft && soon());
    const offB = editor.subscribe((s, p) => s.positions !== p.positions && soon());
    window.addEventListener('pagehide', save);
    return () => {
      clearTimeout(timer);
      save();
      offA();
      offB();
      window.removeEventListener('pagehide', save);
    };
  }, [store, editor]);

  // Esc stops picking; Ctrl+Z / Ctrl+Shift+Z undo and redo outside text fields (inside, the field's own undo).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && store.getState().pick) return store.getState().setPick(undefined);
      if (isTyping(e.target) || !(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === 'z' && !e.shiftKey) store.getState().undo();
      else if ((key === 'z' && e.shiftKey) || key === 'y') store.getState().redo();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store]);

  const openText = useCallback(
    (name: string, text: string) => {
      setDialog(undefined);
      const o = openingFromText(name, text);
      if ('error' in o) return setNotice({ kind: 'error', text: o.error });
      // Undoable: opening something else by mistake loses nothing.
      store.getState().setPick(undefined);
      store.getState().edit(() => o.working.draft);
      setValidation(undefined);
      setNotice({ kind: 'info', text: `${o.note ?? `opened ${name}`} — Undo goes back` });
    },
    [store],
  );

  const validate = async () => {
    setValidation({ state: 'running', startedAt: Date.now() });
    try {
      setValidation({
        state: 'done',
        proof: await client.call('validateScenario', { body: { text: draftToYaml(store.getState().draft) } }),
      });
    } catch (e) {
      if (e instanceof ApiError && e.problems.length)
        setValidation({ state: 'rejected', message: e.message, problems: e.problems });
      else setValidation({ state: 'error', message: errorText(e) });
    }
  };

  const startSession = async () => {
    setStarting(true);
    try {
      const session = await client.call('createSession', { body: { text: draftToYaml(store.getState().draft) } });
      navigate(`/class/${encodeURIComponent(session.id)}`);
    } catch (e) {
      setNotice({
        kind: 'error',
        text:
          e instanceof ApiError && e.problems.length
            ? `${e.message}: ${e.problems.map(formatScenarioProblem).join('; ')}`
            : errorText(e),
      });
      setStarting(false);
    }
  };

  /** Back to the editor with this lab: saved as the lab's draft, which the editor opens. */
  const editLab = async () => {
    try {
      await client.call('saveDraft', {
        params: { name: draft.lab.name },
        body: { document: draft.lab, layout: { positions: editor.getState().positions } },
      });
      navigate(`/#lab=${encodeURIComponent(draft.lab.name)}`);
    } catch (e) {
      setNotice({ kind: 'error', text: errorText(e) });
    }
  };

  const blocked = problems.length > 0 ? `fix the ${plural(problems.length, 'problem')} first` : undefined;
  return (
    <AuthorContext.Provider value={ctx}>
      <div className="pb-app pb-au" data-testid="author">
        <header className="pb-toolbar" role="toolbar" aria-label="Exercise">
          <strong className="pb-brand">Patchbay</strong>
          <span className="pb-labname" data-testid="author-id">
            Exercise {draft.id || '(no id)'}
          </span>
          <span className="pb-muted">on lab {draft.lab.name}</span>
          <button
            type="button"
            onClick={() => setDialog('builtin')}
            title="Start from a built-in exercise"
            data-testid="open-builtin"
          >
            Built-in…
          </button>
          <FilePickButton
            title="Open a scenario file (YAML or JSON)"
            testid="import-scenario"
            inputTestid="import-file"
            onFile={openText}
          >
            Import…
          </FilePickButton>
          <button
            type="button"
            onClick={() => downloadText(scenarioFileName(draft.id), draftToYaml(draft), 'application/yaml')}
            title={
              blocked ? `Download the scenario file (it still has problems: ${blocked})` : 'Download the scenario file'
            }
            data-testid="export-scenario"
          >
            Export YAML
          </button>
          <button
            type="button"
            onClick={() => store.getState().undo()}
            disabled={!canUndo}
            title="Undo (Ctrl+Z)"
            data-testid="author-undo"
          >
            Undo
          </button>
          <button
            type="button"
            onClick={() => store.getState().redo()}
            disabled={!canRedo}
            title="Redo (Ctrl+Shift+Z)"
            data-testid="author-redo"
          >
            Redo
          </button>
          <button
            type="button"
            onClick={() => void editLab()}
            title="Change the lab in the editor; “Make exercise” there brings it back with this exercise"
            data-testid="edit-lab"
          >
            Edit lab
          </button>
          <span className="pb-spacer" />
          <span className={`badge ${problems.length ? 'danger' : 'ok'}`} data-testid="author-problem-count">
            {problems.length ? plural(problems.length, 'problem') : 'no problems'}
          </span>
          <button
            type="button"
            onClick={() => void validate()}
            disabled={validation?.state === 'running' || blocked !== undefined}
            title={blocked ?? 'Prove it on the kernel: the fresh lab fails, the solution passes, a reset fails again'}
            data-testid="validate"
          >
            {validation?.state === 'running' ? 'Validating…' : 'Validate'}
          </button>
          <button
            type="button"
            className="primary"
            onClick={() => void startSession()}
            disabled={starting || blocked !== undefined}
            title={blocked ?? 'Start a class session with this exercise'}
            data-testid="start-session"
          >
            {starting ? 'Starting…' : 'Start a class session'}
          </button>
        </header>
        {notice && (
          <div
            className={`pb-notice ${notice.kind}`}
            role={notice.kind === 'error' ? 'alert' : 'status'}
            data-testid="author-notice"
          >
            {notice.text}
            <button type="button" onClick={() => setNotice(undefined)} aria-label="Dismiss">
              ×
            </button>
          </div>
        )}
        <main className="pb-au-main">
          <div className={`pb-au-canvas${pick ? ' picking' : ''}`}>
            {pick && (
              <div className="pb-au-pickbar" role="status" data-testid="pick-banner">
                Click a node to fill <code>{pickTargetPath(pick)}</code>
                {pick.kind === 'ipv4' ? ' (its first address)' : ''}
                {pickNote && <span className="pb-error"> — {pickNote}</span>}
                <button type="button" onClick={() => store.getState().setPick(undefined)}>
                  Stop (Esc)
                </button>
              </div>
            )}
            <Canvas store={editor} live={live} actions={{}} readOnly />
          </div>
          <div className="pb-au-form" data-testid="author-form">
            <GeneralProblems />
            <MetaSection />
            <InstructionsSection />
            <ChecksEditor />
            <HintsSection />
            <StepsSection list="setup" />
            <StepsSection list="solution" />
          </div>
        </main>
        {validation && <ProofPanel view={validation} onClose={() => setValidation(undefined)} />}
        {dialog === 'builtin' && (
          <BuiltinDialog onClose={() => setDialog(undefined)} onOpen={(id, text) => openText(`${id}.yaml`, text)} />
        )}
      </div>
    </AuthorContext.Provider>
  );
}

/** Problems no field shows: the lab's own (`lab.…`) and whole-file ones. */
function GeneralProblems() {
  const { problems } = useAuthor();
  const general = problems.filter(
    (p) => p.path === '' || p.path === 'lab' || p.path.startsWith('lab.') || p.path.startsWith('lab['),
  );
  if (!general.length) return null;
  return (
    <section className="pb-au-section" data-testid="general-problems">
      <h2>Lab problems</h2>
      <ul className="pb-au-problems">
        {general.map((p, i) => (
          <li key={i}>{formatScenarioProblem(p)}</li>
        ))}
      </ul>
      <p className="pb-hint">Fix them in the editor (Edit lab).</p>
    </section>
  );
}
