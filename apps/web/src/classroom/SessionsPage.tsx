// /class: the instructor finds the sessions running (first, at the top), starts a class session
// from a built-in scenario or a scenario file, and finds the ended sessions below.
import type { Problem, ScenarioSummary, Session } from '@patchbay/protocol';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, client } from '../api/client';
import { navigate } from '../routes';
import { clockText, solvedOnce } from './progress';
import { ClassHeader } from './ClassHeader';

export function SessionsPage() {
  const [scenarios, setScenarios] = useState<ScenarioSummary[]>();
  const [sessions, setSessions] = useState<Session[]>();
  const [error, setError] = useState<{ text: string; problems?: Problem[] }>();
  const [starting, setStarting] = useState<string>();
  /** The new session's seat limit as typed; empty: the server's default. */
  const [seats, setSeats] = useState('');

  const fail = (e: unknown) =>
    setError({
      text: e instanceof ApiError ? e.message : String(e),
      ...(e instanceof ApiError && e.problems.length ? { problems: e.problems } : {}),
    });

  const load = useCallback(async () => {
    try {
      const [sc, se] = await Promise.all([client.call('listScenarios'), client.call('listSessions')]);
      setScenarios(sc.scenarios);
      setSessions(se.sessions);
    } catch (e) {
      fail(e);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const start = async (what: string, input: { scenario: string } | { text: string }) => {
    const seatLimit = seats.trim() === '' ? undefined : Number(seats);
    if (seatLimit !== undefined && (!Number.isInteger(seatLimit) || seatLimit < 1))
      return setError({ text: 'The seat limit is a whole number, at least 1 (or empty for the server’s default).' });
    setStarting(what);
    setError(undefined);
    try {
      const s = await client.call('createSession', {
        body: seatLimit === undefined ? input : { ...input, seatLimit },
      });
      navigate(`/class/${encodeURIComponent(s.id)}`);
    } catch (e) {
      fail(e);
      setStarting(undefined);
    }
  };

  const fromFile = async (file: File | undefined) => {
    if (!file) return;
    await start(`file:${file.name}`, { text: await file.text() });
  };

  const running = (sessions ?? []).filter((s) => !s.endedAt);
  const ended = (sessions ?? []).filter((s) => s.endedAt);

  return (
    <div className="pb-class-page">
      <ClassHeader />
      <main className="pb-class-body">
        {error && (
          <div className="pb-notice error" role="alert" data-testid="class-error">
            <div>
              {error.text}
              {error.problems && (
                <ul>
                  {error.problems.map((p, k) => (
                    <li key={k}>
                      <code>{p.path || '/'}</code> {p.message}
                    </li>
                  ))}
                </ul>
              )}
            </div>
            <button type="button" onClick={() => setError(undefined)} aria-label="Dismiss">
              ×
            </button>
          </div>
        )}
        {/* The sessions running come first: an instructor back on this page is usually looking for one. */}
        <section aria-labelledby="pb-running-title" data-testid="running-sessions">
          <h1 id="pb-running-title">Running sessions</h1>
          {sessions && running.length === 0 && (
            <p className="pb-muted" data-testid="no-running-sessions">
              No session is running: start one below.
            </p>
          )}
          <SessionTable sessions={running} />
        </section>
        <section aria-labelledby="pb-scen-title">
          <h2 id="pb-scen-title">Start a class session</h2>
          <p className="pb-muted">
            Every student who joins gets their own copy of the exercise's lab, in the kernel, with live checks. Pick an
            exercise, or load a scenario file (SCENARIO-FORMAT).
          </p>
          <p className="pb-row">
            <label htmlFor="pb-new-seats">Seat limit</label>
            <input
              id="pb-new-seats"
              type="number"
              min={1}
              step={1}
              placeholder="default"
              value={seats}
              onChange={(e) => setSeats(e.target.value)}
              className="pb-seat-input"
              data-testid="new-seat-limit"
            />
            <span className="pb-muted">
              students at most (empty: the server’s default); change it or lock the session later from its dashboard.
            </span>
          </p>
          {!scenarios && !error && <p className="pb-muted">Loading the exercises…</p>}
          <ul className="pb-scenarios" data-testid="scenarios">
            {(scenarios ?? []).map((s) => (
              <li key={s.id} className="pb-scenario" data-testid={`scenario-${s.id}`}>
                <div className="pb-row">
                  <strong>{s.title}</strong>
                  <span className={`badge level-${s.level}`}>{s.level}</span>
                </div>
                <p>{s.summary}</p>
                <div className="pb-row pb-muted">
                  {s.tags.map((t) => (
                    <span key={t} className="badge">
                      {t}
                    </span>
                  ))}
                  <span>
                    {s.checks} check{s.checks === 1 ? '' : 's'} · {s.hints} hint{s.hints === 1 ? '' : 's'}
                  </span>
                </div>
                <button
                  type="button"
                  className="primary"
                  disabled={starting !== undefined}
                  onClick={() => void start(s.id, { scenario: s.id })}
                  data-testid={`start-${s.id}`}
                >
                  {starting === s.id ? 'Starting…' : 'Start session'}
                </button>
              </li>
            ))}
          </ul>
          <label className="pb-file">
            Or start from a scenario file (YAML or JSON):{' '}
            <input
              type="file"
              accept=".yaml,.yml,.json,application/yaml,application/json"
              disabled={starting !== undefined}
              onChange={(e) => void fromFile(e.target.files?.[0])}
              data-testid="scenario-file"
            />
          </label>
        </section>
        {ended.length > 0 && (
          <section aria-labelledby="pb-ended-title">
            <details>
              <summary id="pb-ended-title">Ended sessions ({ended.length})</summary>
              <SessionTable sessions={ended} />
            </details>
          </section>
        )}
      </main>
    </div>
  );
}

function SessionTable({ sessions }: { sessions: Session[] }) {
  if (!sessions.length) return null;
  return (
    <table className="pb-table pb-session-table" data-testid="sessions">
      <thead>
        <tr>
          <th scope="col">code</th>
          <th scope="col">exercise</th>
          <th scope="col">students</th>
          <th scope="col">solved</th>
          <th scope="col">started</th>
          <th scope="col">ended</th>
        </tr>
      </thead>
      <tbody>
        {sessions.map((s) => (
          <tr key={s.id} data-testid="session-row">
            <td>
              <a
                href={`/class/${encodeURIComponent(s.id)}`}
                className="mono"
                onClick={(e) => {
                  e.preventDefault();
                  navigate(`/class/${encodeURIComponent(s.id)}`);
                }}
              >
                {s.code}
              </a>
            </td>
            <td>{s.scenario.title}</td>
            <td>
              {s.students.length}/{s.seatLimit}
              {s.locked && !s.endedAt ? ' (locked)' : ''}
            </td>
            <td>{s.students.filter(solvedOnce).length}</td>
            <td>{clockText(s.createdAt)}</td>
            <td>{s.endedAt ? clockText(s.endedAt) : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
