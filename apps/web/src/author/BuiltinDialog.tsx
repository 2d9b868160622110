// The built-in scenarios (the server's library) as starting points: one is fetched as text and
// opens in the authoring page like an imported file.
import { plural } from '@patchbay/topology';
import type { ScenarioSummary } from '@patchbay/protocol';
import { useEffect, useState } from 'react';
import { ApiError, client } from '../api/client';

export function BuiltinDialog({
  onOpen,
  onClose,
}: {
  onOpen: (id: string, text: string) => void;
  onClose: () => void;
}) {
  const [list, setList] = useState<ScenarioSummary[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const fail = (e: unknown) => setError(e instanceof ApiError ? e.message : String(e));

  useEffect(() => {
    client.call('listScenarios').then((r) => setList(r.scenarios), fail);
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const open = async (id: string) => {
    setBusy(id);
    try {
      const { text } = await client.call('getScenario', { params: { id } });
      onOpen(id, text);
    } catch (e) {
      fail(e);
      setBusy(undefined);
    }
  };

  return (
    <div className="pb-modal-backdrop" role="presentation" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className="pb-modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="pb-au-builtin-title"
        data-testid="builtin-dialog"
      >
        <h2 id="pb-au-builtin-title">Start from a built-in exercise</h2>
        {error && (
          <p className="pb-error" role="alert">
            {error}
          </p>
        )}
        <ul className="pb-gallery">
          {list === undefined && !error && <li className="pb-muted">Loading…</li>}
          {list?.length === 0 && <li className="pb-muted">The server has no built-in scenarios.</li>}
          {list?.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                onClick={() => void open(s.id)}
                disabled={busy !== undefined}
                data-testid={`builtin-${s.id}`}
              >
                <strong>{s.title}</strong>
                <span className="pb-muted">
                  {s.level} · {plural(s.checks, 'check')} · {plural(s.hints, 'hint')}
                  {busy === s.id ? ' · opening…' : ''}
                </span>
                <span>{s.summary}</span>
              </button>
            </li>
          ))}
        </ul>
        <div className="pb-modal-buttons">
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
