// The instructor's say over who joins a running session: seats used of the limit, the limit itself
// (changeable while the class runs; lowering it turns nobody away, it only stops new joins), and a
// lock (nobody new joins; those in it go on); and whether students may change their lab through
// the API (terminals only: the server refuses their applies and destroys). Every change goes
// through `updateSession`.
import type { Session, SessionUpdateInput } from '@patchbay/protocol';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { client } from '../api/client';
import { seatsText } from './progress';

export function SessionControls({ session, onChange }: { session: Session; onChange: (s: Session) => void }) {
  const id = useId();
  const [seats, setSeats] = useState(String(session.seatLimit));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  // Another dashboard (or this one) changed the limit: show it, unless the field is being edited.
  useEffect(() => setSeats(String(session.seatLimit)), [session.seatLimit]);

  const update = async (change: SessionUpdateInput) => {
    setBusy(true);
    setError(undefined);
    try {
      onChange(await client.call('updateSession', { params: { id: session.id }, body: change }));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const saveSeats = (e: FormEvent) => {
    e.preventDefault();
    const n = Number(seats);
    if (!Number.isInteger(n) || n < 1) return setError('The seat limit is a whole number, at least 1.');
    if (n !== session.seatLimit) void update({ seatLimit: n });
  };
  const used = seatsText(session);

  return (
    <div className="pb-session-controls" aria-label="Who may join">
      <div className="pb-row">
        <span className={`badge ${used.full ? 'warn' : ''}`} data-testid="seats-used" data-full={String(used.full)}>
          {used.text}
        </span>
        {session.locked && (
          <span className="badge warn" data-testid="session-locked">
            locked
          </span>
        )}
        {session.terminalsOnly && (
          <span className="badge warn" data-testid="session-terminals-only">
            terminals only
          </span>
        )}
      </div>
      <form className="pb-row" onSubmit={saveSeats}>
        <label htmlFor={`${id}-seats`} className="pb-muted">
          Seat limit
        </label>
        <input
          id={`${id}-seats`}
          type="number"
          min={1}
          step={1}
          value={seats}
          onChange={(e) => setSeats(e.target.value)}
          className="pb-seat-input"
          data-testid="seat-limit"
        />
        <button type="submit" disabled={busy || seats === String(session.seatLimit)} data-testid="seat-limit-save">
          Set
        </button>
      </form>
      <button
        type="button"
        aria-pressed={session.locked}
        disabled={busy}
        onClick={() => void update({ locked: !session.locked })}
        data-testid="lock-session"
        title={session.locked ? 'Let new students join again' : 'Nobody new may join; students already in go on'}
      >
        {session.locked ? 'Unlock joins' : 'Lock joins'}
      </button>
      <label
        className="pb-row"
        title="Students may not apply or destroy their lab through the API (the server answers 403); they work in the terminals and may still reset their lab"
      >
        <input
          type="checkbox"
          checked={session.terminalsOnly}
          disabled={busy}
          onChange={(e) => void update({ terminalsOnly: e.currentTarget.checked })}
          data-testid="terminals-only"
        />
        Terminals only
      </label>
      {error && (
        <p className="pb-error" role="alert" data-testid="session-controls-error">
          {error}
        </p>
      )}
    </div>
  );
}
