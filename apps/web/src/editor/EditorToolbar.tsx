// The editor's toolbar: the lab's name and status, and its commands (open, undo/redo, arrange,
// export, make an exercise, destroy, apply). It only shows state and calls back.
import type { SaveState } from './hooks';

export interface EditorToolbarProps {
  labName: string;
  /** Whose lab it is when a class session's student has it (`Ana · session SAYM4PK (Link down)`). */
  owner?: string | undefined;
  applied: boolean;
  canUndo: boolean;
  canRedo: boolean;
  /** Problems the lab has now: Apply waits until there are none. */
  problemCount: number;
  save: SaveState;
  live: { connected: boolean; subscribed?: boolean; error?: string | undefined };
  onOpen: () => void;
  onUndo: () => void;
  onRedo: () => void;
  onArrange: () => void;
  onExportYaml: () => void;
  onExportScript: () => void;
  onMakeExercise: () => void;
  onDestroy: () => void;
  onApply: () => void;
}

const saveText = (save: SaveState): string =>
  save.state === 'pending'
    ? 'unsaved…'
    : save.state === 'saving'
      ? 'saving…'
      : save.state === 'saved'
        ? 'saved'
        : save.state === 'error'
          ? 'not saved!'
          : '';

export function EditorToolbar(p: EditorToolbarProps) {
  const problems = p.problemCount;
  return (
    <header className="pb-toolbar" role="toolbar" aria-label="Lab">
      <strong className="pb-brand">Patchbay</strong>
      <span className="pb-labname" data-testid="lab-name">
        {p.labName}
      </span>
      {p.owner && (
        <span className="badge student" title="a student's lab in a class session" data-testid="lab-owner">
          {p.owner}
        </span>
      )}
      <span className={`badge ${p.applied ? 'ok' : ''}`} data-testid="lab-status">
        {p.applied ? 'running' : 'not applied'}
      </span>
      <button type="button" onClick={p.onOpen} title="Open or create a lab (Ctrl+O)" data-testid="open">
        Open…
      </button>
      <button type="button" onClick={p.onUndo} disabled={!p.canUndo} title="Undo (Ctrl+Z)" data-testid="undo">
        Undo
      </button>
      <button type="button" onClick={p.onRedo} disabled={!p.canRedo} title="Redo (Ctrl+Shift+Z)" data-testid="redo">
        Redo
      </button>
      <button type="button" onClick={p.onArrange} title="Arrange the nodes automatically" data-testid="auto-layout">
        Arrange
      </button>
      <button type="button" onClick={p.onExportYaml} title="Download the lab file (YAML)" data-testid="export-yaml">
        Export YAML
      </button>
      <button
        type="button"
        onClick={p.onExportScript}
        title="Download the ip/bridge/iptables script that builds this lab"
        data-testid="export-script"
      >
        Export script
      </button>
      <button
        type="button"
        onClick={p.onMakeExercise}
        title="Turn this lab into an exercise: instructions, checks, hints, solution"
        data-testid="make-exercise"
      >
        Make exercise
      </button>
      <a
        href="/class"
        className="pb-toolbar-link"
        title="Class sessions: start an exercise for a class, follow the students"
        data-testid="class-link"
      >
        Class
      </a>
      <span className="pb-spacer" />
      <span
        className="pb-save"
        data-testid="save-state"
        title={p.save.state === 'error' ? p.save.message : 'drafts are saved on the server as you draw'}
      >
        {saveText(p.save)}
      </span>
      <span
        className={`pb-dot ${p.live.connected ? 'ok' : 'off'}`}
        title={p.live.connected ? 'live updates connected' : (p.live.error ?? 'live updates disconnected')}
        data-testid="live-status"
        data-state={p.live.connected ? (p.live.subscribed ? 'live' : 'connected') : 'off'}
      />
      <button type="button" className="danger" onClick={p.onDestroy} disabled={!p.applied} data-testid="destroy">
        Destroy
      </button>
      <button
        type="button"
        className="primary"
        onClick={p.onApply}
        disabled={problems > 0}
        title={problems ? 'fix the problems first (see the inspector)' : 'Apply (Ctrl+Enter)'}
        data-testid="apply"
      >
        Apply{problems ? ` (${problems} problem${problems === 1 ? '' : 's'})` : ''}
      </button>
    </header>
  );
}
