// Open a lab: a new empty one, a draft or a running lab from the server, an example from the
// gallery, or a lab file from disk (a scenario file there opens in the authoring page).
import type { Draft, Example, LabSummary } from '@patchbay/protocol';
import { useEffect, useState } from 'react';
import { ApiError, client } from '../api/client';
import { studentLabLabel } from '../editor/student-lab';
import { FilePickButton } from './FilePickButton';

export type OpenChoice =
  | { from: 'new'; name: string }
  | { from: 'draft'; draft: Draft }
  | { from: 'lab'; name: string }
  | { from: 'example'; example: Example }
  | { from: 'file'; name: string; text: string };

export function OpenDialog({
  onOpen,
  onClose,
  initialTab = 'gallery',
}: {
  onOpen: (c: OpenChoice) => void;
  onClose: () => void;
  initialTab?: 'gallery' | 'labs';
}) {
  const [tab, setTab] = useState(initialTab);
  const [examples, setExamples] = useState<Example[]>();
  const [labs, setLabs] = useState<LabSummary[]>();
  const [drafts, setDrafts] = useState<{ name: string; updatedAt: string }[]>();
  const [error, setError] = useState<string>();
  const [newName, setNewName] = useState('');

  useEffect(() => {
    const fail = (e: unknown) => setError(e instanceof ApiError ? e.message : String(e));
    client.call('listExamples').then((r) => setExamples(r.examples), fail);
    client.call('listLabs').then((r) => setLabs(r.labs), fail);
    client.call('listDrafts').then((r) => setDrafts(r.drafts), fail);
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const openDraft = async (name: string) => {
    try {
      onOpen({ from: 'draft', draft: await client.call('getDraft', { params: { name } }) });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };

  return (
    <div className="pb-modal-backdrop" role="presentation" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className="pb-modal pb-open"
        role="dialog"
        aria-modal="true"
        aria-labelledby="open-title"
        data-testid="open-dialog"
      >
        <h2 id="open-title">Open a lab</h2>
        <div className="pb-tabs" role="tablist">
          <button
            role="tab"
            aria-selected={tab === 'gallery'}
            onClick={() => setTab('gallery')}
            data-testid="open-tab-gallery"
          >
            Examples
          </button>
          <button role="tab" aria-selected={tab === 'labs'} onClick={() => setTab('labs')} data-testid="open-tab-labs">
            Your labs
          </button>
        </div>
        {error && (
          <p className="pb-error" role="alert">
            {error}
          </p>
        )}
        {tab === 'gallery' && (
          <ul className="pb-gallery">
            {examples === undefined && <li className="pb-muted">Loading…</li>}
            {examples?.map((ex) => (
              <li key={ex.file}>
                <button
                  type="button"
                  onClick={() => onOpen({ from: 'example', example: ex })}
                  data-testid={`example-${ex.name}`}
                >
                  <strong>{ex.name}</strong>
                  <span className="pb-muted">{ex.description}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {tab === 'labs' && (
          <div className="pb-open-labs">
            <form
              className="pb-row"
              onSubmit={(e) => {
                e.preventDefault();
                if (newName.trim()) onOpen({ from: 'new', name: newName.trim() });
              }}
            >
              <label>
                New lab named{' '}
                <input
                  value={newName}
                  onChange={(e) => setNewName(e.target.value)}
                  placeholder="lab1"
                  data-testid="open-new-name"
                />
              </label>
              <button type="submit" data-testid="open-new">
                Create
              </button>
              <FilePickButton
                testid="open-import"
                inputTestid="open-file"
                onFile={(name, text) => onOpen({ from: 'file', name, text })}
              >
                Import a lab or scenario file…
              </FilePickButton>
            </form>
            <h3>Running</h3>
            <ul className="pb-list">
              {labs?.length === 0 && <li className="pb-muted">No lab is running.</li>}
              {labs?.map((l) => (
                <li key={l.name}>
                  <button
                    type="button"
                    onClick={() => onOpen({ from: 'lab', name: l.name })}
                    data-testid={`open-lab-${l.name}`}
                  >
                    {l.name}
                  </button>
                  {l.student && (
                    <span className="badge student" data-testid={`lab-student-${l.name}`}>
                      {studentLabLabel(l.student)}
                    </span>
                  )}
                  <span className={`badge ${l.health === 'ok' ? 'ok' : 'warn'}`}>{l.health}</span>
                  <span className="pb-muted">
                    {l.nodes} nodes, revision {l.revision}
                  </span>
                </li>
              ))}
            </ul>
            <h3>Drafts</h3>
            <ul className="pb-list">
              {drafts?.length === 0 && <li className="pb-muted">No drafts yet: what you draw is saved as you go.</li>}
              {drafts?.map((d) => (
                <li key={d.name}>
                  <button type="button" onClick={() => void openDraft(d.name)} data-testid={`open-draft-${d.name}`}>
                    {d.name}
                  </button>
                  <span className="pb-muted">saved {new Date(d.updatedAt).toLocaleString()}</span>
                </li>
              ))}
            </ul>
          </div>
        )}
        <div className="pb-modal-buttons">
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
