// /class/SESSION: the instructor's dashboard. The join code big enough for a projector, the join
// link, who may join (seats used of the limit, the limit, a lock), and every student's progress live
// (`session:subscribe` → `session:progress`): a bar, a dot per check, hints used, last check and
// solve times; a student's lab can be opened read-only or reset, a student removed (their lab
// destroyed, their token revoked), and the session ended (which destroys every student's lab).
import type {
  Session,
  SessionEndedEvent,
  SessionProgressEvent,
  SessionSettingsEvent,
  SessionStudentRemovedEvent,
  StudentProgress,
} from '@patchbay/protocol';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, client } from '../api/client';
import { liveSocket } from '../api/live';
import { useServerOnline } from '../components/ConnectionBanner';
import { ClassHeader } from './ClassHeader';
import { ConfirmDialog } from './ConfirmDialog';
import { JoinLinkNotice } from './JoinLinkNotice';
import {
  applyProgress,
  applySettings,
  checkTally,
  classSummary,
  clockText,
  percent,
  sortStudents,
  withoutStudent,
} from './progress';
import { SessionControls } from './SessionControls';
import { StudentRow } from './StudentRow';
import { useNow } from './useNow';

/** Loads a session and keeps it live; shared by the dashboard and the student view. */
export function useLiveSession(id: string) {
  const [session, setSession] = useState<Session>();
  const [error, setError] = useState<string>();
  const [liveError, setLiveError] = useState<string>();
  /** When the server last told this page anything about the session (ms): what an offline dashboard shows. */
  const [updatedAt, setUpdatedAt] = useState<number>();
  const reload = useCallback(async () => {
    try {
      setSession(await client.call('getSession', { params: { id } }));
      setUpdatedAt(Date.now());
      setError(undefined);
    } catch (e) {
      setError(e instanceof ApiError ? (e.status === 404 ? `No session ${id}.` : e.message) : String(e));
    }
  }, [id]);
  useEffect(() => {
    const socket = liveSocket();
    const subscribe = async () => {
      const ack = await socket.emitWithAck('session:subscribe', { session: id });
      setLiveError(ack.ok ? undefined : ack.error);
      // What happened while the socket was away: read the session again.
      if (ack.ok) void reload();
    };
    const onProgress = (e: SessionProgressEvent) => {
      setSession((s) => (s ? applyProgress(s, e) : s));
      setUpdatedAt(Date.now());
    };
    const onEnded = (e: SessionEndedEvent) =>
      e.session === id &&
      setSession((s) =>
        s && !s.endedAt ? { ...s, endedAt: new Date().toISOString(), endReason: e.reason ?? 'instructor' } : s,
      );
    const onSettings = (e: SessionSettingsEvent) => setSession((s) => (s ? applySettings(s, e) : s));
    const onRemoved = (e: SessionStudentRemovedEvent) => setSession((s) => (s ? withoutStudent(s, e) : s));
    // After every reconnection (the connection manager's backoff): the session room again, and a fresh read.
    const onConnect = () => void subscribe();
    socket.on('session:progress', onProgress);
    socket.on('session:ended', onEnded);
    socket.on('session:settings', onSettings);
    socket.on('session:student-removed', onRemoved);
    socket.on('connect', onConnect);
    if (socket.connected) void subscribe();
    else void reload();
    return () => {
      socket.off('session:progress', onProgress);
      socket.off('session:ended', onEnded);
      socket.off('session:settings', onSettings);
      socket.off('session:student-removed', onRemoved);
      socket.off('connect', onConnect);
      if (socket.connected) socket.emit('session:unsubscribe', { session: id });
    };
  }, [id, reload]);
  return { session, setSession, error, liveError, reload, updatedAt };
}

/** Per check, how many students pass it: where the class is stuck. */
function CheckTally({ session }: { session: Session }) {
  const list = session.scenario.checkList;
  if (!list?.length || session.students.length === 0) return null;
  return (
    <section className="pb-tally" aria-label="checks across the class" data-testid="check-tally">
      {checkTally(list, session.students).map((c) => (
        <div key={c.id} className="pb-tally-row" data-testid="tally-row" data-check={c.id} data-passing={c.passing}>
          <span className="pb-tally-title" title={c.id}>
            {c.title}
          </span>
          <div
            className="pb-bar"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={session.students.length}
            aria-valuenow={c.passing}
            aria-label={`${c.title}: ${c.passing} of ${session.students.length} students`}
          >
            <div
              className={`pb-bar-fill ${c.passing === session.students.length ? 'ok' : ''}`}
              style={{ width: `${percent(c.passing, session.students.length)}%` }}
            />
          </div>
          <span className="mono pb-tally-count">
            {c.passing}/{session.students.length}
          </span>
        </div>
      ))}
    </section>
  );
}

export function Dashboard({ id }: { id: string }) {
  const { session, setSession, error, liveError, updatedAt } = useLiveSession(id);
  const online = useServerOnline();
  const [confirm, setConfirm] = useState<
    { kind: 'end' } | { kind: 'reset' | 'remove'; student: StudentProgress } | undefined
  >();
  const [copied, setCopied] = useState(false);
  const now = useNow(5000);

  if (!session) {
    return (
      <div className="pb-class-page">
        <ClassHeader />
        <p className={`pb-class-message ${error ? 'pb-error' : 'pb-muted'}`} role={error ? 'alert' : 'status'}>
          {error ?? 'Loading the session…'}
        </p>
      </div>
    );
  }

  const link = `${window.location.origin}${session.joinPath}`;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      // No clipboard (an insecure origin): select the link so Ctrl+C copies it.
      const input = document.querySelector<HTMLInputElement>('[data-testid="join-link"]');
      input?.select();
    }
  };
  const totals = classSummary(session.students);
  const students = sortStudents(session.students);

  return (
    <div className="pb-class-page">
      <ClassHeader>
        {' › '}
        <span>{session.scenario.title}</span>
      </ClassHeader>
      <main className="pb-class-body">
        {!online && (
          <div className="pb-notice error" role="status" data-testid="dashboard-offline">
            <span>
              <span className="pb-offline-note">offline</span> — last update{' '}
              {updatedAt ? clockText(new Date(updatedAt).toISOString()) : 'never'}; the rows below may be out of date
              until the server is back.
            </span>
          </div>
        )}
        {liveError && (
          <div className="pb-notice error" role="alert">
            Live progress unavailable ({liveError}); reload the page to see the latest.
          </div>
        )}
        {session.endedAt ? (
          <div className="pb-notice info" role="status" data-testid="session-ended">
            This session ended at {clockText(session.endedAt)}
            {session.endReason === 'idle' ? ', after a long time without activity' : ''}; every student's lab was
            destroyed.
          </div>
        ) : (
          <section className="pb-join-banner" aria-label="How students join">
            <div>
              <div className="pb-muted">Join code</div>
              <div className="pb-big-code mono" data-testid="join-code-big">
                {session.code}
              </div>
            </div>
            <div className="pb-join-link">
              <label htmlFor="pb-join-link" className="pb-muted">
                Join link
              </label>
              <div className="pb-row">
                <input
                  id="pb-join-link"
                  readOnly
                  value={link}
                  onFocus={(e) => e.currentTarget.select()}
                  className="mono"
                  data-testid="join-link"
                />
                <button type="button" onClick={() => void copy()} data-testid="copy-link">
                  {copied ? 'Copied' : 'Copy'}
                </button>
              </div>
            </div>
            <SessionControls session={session} onChange={setSession} />
            <span className="pb-spacer" />
            <button
              type="button"
              className="danger"
              onClick={() => setConfirm({ kind: 'end' })}
              data-testid="end-session"
            >
              End session…
            </button>
          </section>
        )}
        {!session.endedAt && <JoinLinkNotice />}
        <h1 className="pb-dash-title">
          {session.scenario.title} <span className="badge">{session.scenario.level}</span>
        </h1>
        <p className="pb-muted" data-testid="class-summary">
          {totals.students} student{totals.students === 1 ? '' : 's'} · {totals.solved} solved
          {totals.slipped ? ` (${totals.slipped} not passing every check now)` : ''} · {totals.hints} hint
          {totals.hints === 1 ? '' : 's'} used · started {clockText(session.createdAt)}
        </p>
        <CheckTally session={session} />
        {students.length === 0 ? (
          <p className="pb-muted" data-testid="no-students">
            No student yet. They open the join link (or type the code at{' '}
            <span className="mono">{window.location.origin}/join</span>) and give their name.
          </p>
        ) : (
          <table
            className={`pb-table pb-students ${online ? '' : 'offline'}`}
            data-testid="students"
            data-offline={String(!online)}
          >
            <thead>
              <tr>
                <th scope="col">student</th>
                <th scope="col">progress</th>
                <th scope="col">checks</th>
                <th scope="col">hints</th>
                <th scope="col">last check</th>
                <th scope="col">solved</th>
                <th scope="col">
                  <span className="pb-visually-hidden">actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {students.map((s) => (
                <StudentRow
                  key={s.id}
                  session={session}
                  student={s}
                  now={now}
                  offline={!online}
                  onReset={() => setConfirm({ kind: 'reset', student: s })}
                  onRemove={() => setConfirm({ kind: 'remove', student: s })}
                />
              ))}
            </tbody>
          </table>
        )}
      </main>
      {confirm?.kind === 'end' && (
        <ConfirmDialog
          title="End this session?"
          text={`Every student's lab (${session.students.length}) is destroyed and the join code stops working. Their results stay on this page.`}
          confirm="End session"
          testid="end-dialog"
          onClose={() => setConfirm(undefined)}
          onConfirm={async () => {
            await client.call('endSession', { params: { id: session.id } });
            setSession((s) => (s && !s.endedAt ? { ...s, endedAt: new Date().toISOString() } : s));
          }}
        />
      )}
      {confirm?.kind === 'reset' && (
        <ConfirmDialog
          title={`Reset ${confirm.student.name}'s lab?`}
          text="Their lab is built again from the start: everything they changed is lost, their terminals close. The checks run again."
          confirm="Reset"
          testid="reset-dialog"
          onClose={() => setConfirm(undefined)}
          onConfirm={async () => {
            await client.call('resetStudent', { params: { id: session.id, student: confirm.student.id } });
          }}
        />
      )}
      {confirm?.kind === 'remove' && (
        <ConfirmDialog
          title={`Remove ${confirm.student.name} from this session?`}
          text={`${confirm.student.name}'s lab is destroyed and their access ends at once: their page says they were removed. Their progress is forgotten and their seat is free again; they may join again with the code unless the session is locked or full.`}
          confirm="Remove"
          testid="remove-dialog"
          onClose={() => setConfirm(undefined)}
          onConfirm={async () => {
            const removed = await client.call('removeStudent', {
              params: { id: session.id, student: confirm.student.id },
            });
            setSession((s) => (s ? withoutStudent(s, removed) : s));
          }}
        />
      )}
    </div>
  );
}
