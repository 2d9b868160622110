// One lab's exercise, as a student works on it or an instructor looks at it: the instructions, the
// lab drawn read-only with its live state (link colours, tables), the checks live, the hints, and the
// kernel's tables; a student also gets terminals and a reset. Everything goes through the token the
// page was given (a student's covers this lab only). A reset of the lab, from this page or another
// (the instructor's dashboard, the student's own page), draws the lab again as it now stands; a
// student is told when their instructor reset it, and when the session is terminals only. Why? is
// offered (a node's menu, its panel) unless the scenario turned it off for students (`why: false`).
import type { CheckRun } from '@patchbay/protocol';
import type { Lab } from '@patchbay/topology';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { asApiError, clientWithToken, type ApiError } from '../api/client';
import { liveSocket } from '../api/live';
import { getToken } from '../api/token';
import { Canvas } from '../components/Canvas';
import { autoLayout } from '../model/layout';
import { TablesPanel } from '../panels/TablesPanel';
import { TerminalPanel } from '../panels/TerminalPanel';
import { createEditorStore } from '../store/editor';
import { createLiveStore } from '../store/live';
import { ChecksPanel, HintsPanel } from './ChecksPanel';
import { ConfirmDialog } from './ConfirmDialog';
import { resultText } from './final-result';
import { Markdown } from './Markdown';
import { failoverText, instructorResetText, TERMINALS_ONLY_TEXT } from './student-changes';
import { useExercise, type ExerciseState } from './useExercise';
import { useWhyDialog } from '../why/useWhyDialog';
import { WhyPanel } from '../why/WhyPanel';
import { offersWhy } from '../why/why-form';
import './classroom.css';

export type ExerciseMode =
  | { role: 'student'; token: string | null; name?: string }
  | { role: 'instructor'; resetStudent(): Promise<CheckRun>; studentName: string };

type Tab = 'terminal' | 'tables' | 'why';

const TAB_TITLES: Record<Tab, string> = { terminal: 'Terminal', tables: 'Kernel tables', why: 'Why?' };

/** What the server said when it let go of a student; an end by the instructor keeps the general text. */
const CLOSED_TEXT: Partial<Record<NonNullable<ExerciseState['closed']>, string>> = {
  ended: 'This class session has ended: your lab is gone, and this lab is not available to you any more.',
  removed: 'Your instructor removed you from this class session: your lab is gone. Ask them before joining again.',
  expired: 'This class session ended after a long time without activity: its labs are gone.',
};

/** What a failed load means for whoever is looking (`closed`: what the server said when it let go of the student). */
function loadErrorText(e: ApiError, role: ExerciseMode['role'], closed?: ExerciseState['closed']): string {
  if (e.status === 0) return e.message;
  const why = closed && CLOSED_TEXT[closed];
  if (role === 'student' && why && e.status === 401) return why;
  if (e.status === 410) return `${e.message.split(';')[0]}.`;
  if (role === 'student' && (e.status === 401 || e.status === 403 || e.status === 404))
    return 'This lab is not available to you any more: the class session may have ended. Ask your instructor for a new join code.';
  if (e.status === 404) return 'This lab does not exist (any more).';
  return e.message;
}

export function ExerciseWorkspace({
  lab: labName,
  mode,
  header,
}: {
  lab: string;
  mode: ExerciseMode;
  header?: ReactNode;
}) {
  // A student's own token (a connection of its own); an instructor's look uses the page's token.
  const token = mode.role === 'student' ? mode.token : null;
  const socket = useMemo(() => (token ? liveSocket(token) : liveSocket()), [token]);
  const client = useMemo(() => clientWithToken(() => token ?? getToken()), [token]);
  const store = useMemo(() => createEditorStore(), []);
  const live = useMemo(() => createLiveStore(socket), [socket]);
  const exercise = useExercise(labName, client, socket);
  const { view, run } = exercise;
  const [lab, setLab] = useState<Lab>();
  const [labError, setLabError] = useState<ApiError>();
  const [tab, setTab] = useState<Tab>(mode.role === 'student' ? 'terminal' : 'tables');
  const [terminalAt, setTerminalAt] = useState<{ node?: string; request: number }>({ request: 0 });
  const [confirmReset, setConfirmReset] = useState(false);
  /** Resets made from this page (a live `exercise:reset` may not come: the subscription can be refused). */
  const [ownResets, setOwnResets] = useState(0);
  /** The instructor's reset the student closed the notice of. */
  const [seenReset, setSeenReset] = useState<string>();
  /** The failover notice the student closed (by its time). */
  const [seenFailover, setSeenFailover] = useState<string>();
  const labVersion = exercise.resets + ownResets;
  const connected = useStore(live, (s) => s.connected);
  const subscribed = useStore(live, (s) => s.subscribed);
  const selected = useStore(store, (s) => (s.selected.nodes.length === 1 ? s.selected.nodes[0] : undefined));
  const why = useWhyDialog({ lab, client, store, onAnswered: () => setTab('why') });

  // Opened while the server was away: load again once the connection is back.
  const [loadAttempt, setLoadAttempt] = useState(0);
  const unreachable = labError?.status === 0;
  useEffect(() => {
    if (!unreachable) return;
    const retry = () => {
      setLabError(undefined);
      setLoadAttempt((n) => n + 1);
    };
    socket.on('connect', retry);
    return () => void socket.off('connect', retry);
  }, [socket, unreachable]);

  useEffect(() => {
    let current = true;
    client.call('getLab', { params: { name: labName } }).then(
      (l) => {
        if (!current) return;
        setLab(l);
        store.getState().load(l, autoLayout(l));
        live.getState().watch(l.name);
        store.getState().fit();
      },
      (e: unknown) => current && setLabError(asApiError(e)),
    );
    return () => {
      current = false;
      live.getState().watch(undefined);
    };
    // labVersion: the lab was reset; read it again (its tables subscription ended with the old lab).
  }, [client, labName, store, live, labVersion, loadAttempt]);

  const error = exercise.error ?? labError;
  if (error) {
    return (
      <div className="pb-class-page">
        {header}
        <div
          // A session that ended is the normal end of a class, not an error.
          className={`pb-class-message ${exercise.closed === 'ended' || exercise.closed === 'expired' ? '' : 'pb-error'}`}
          role="alert"
          data-testid="exercise-error"
          data-closed={exercise.closed ?? ''}
        >
          {loadErrorText(error, mode.role, exercise.closed)}
          {mode.role === 'student' && exercise.result && error.status !== 0 && (
            // The session is over (or the lab gone): what the student achieved stays theirs to see.
            <p
              className="pb-final-result"
              role="status"
              data-testid="final-result"
              data-passed={exercise.result.passed}
              data-total={exercise.result.total}
              data-solved={String(Boolean(exercise.result.solvedAt))}
            >
              <strong>Your result:</strong> {resultText(exercise.result)}
            </p>
          )}
          {error.status === 410 && (
            // An idle student's lab is removed by the server; a reset builds it again.
            <p>
              <button
                type="button"
                className="primary"
                onClick={() =>
                  void client.call('resetLab', { params: { name: labName } }).then(
                    () => window.location.reload(),
                    (e: unknown) => setLabError(asApiError(e)),
                  )
                }
              >
                Build the lab again
              </button>
            </p>
          )}
        </div>
      </div>
    );
  }

  const student = mode.role === 'student';
  const whyOffered = offersWhy(mode.role, view);
  const tabs: Tab[] = [
    ...(student ? (['terminal'] as const) : []),
    'tables',
    ...(whyOffered ? (['why'] as const) : []),
  ];
  const resetText = student
    ? 'Your lab is built again from the start: everything you changed in it is lost, and open terminals close. The checks run again.'
    : `${mode.studentName}'s lab is built again from the start: everything they changed is lost. The checks run again.`;

  return (
    <div className="pb-exercise" data-testid="exercise" data-role={mode.role}>
      <header className="pb-toolbar" role="toolbar" aria-label="Exercise">
        {header}
        <strong className="pb-labname" data-testid="exercise-title">
          {view?.scenario.title ?? labName}
        </strong>
        {view && <span className="badge">{view.scenario.level}</span>}
        {!student && (
          <span className="badge warn" title="you see the student's lab; their terminals are theirs">
            read-only: {mode.studentName}
          </span>
        )}
        {student && mode.name && <span className="pb-muted">signed in as {mode.name}</span>}
        <span className="pb-spacer" />
        <span
          className={`pb-dot ${connected ? 'ok' : 'off'}`}
          title={connected ? 'live updates connected' : 'live updates disconnected'}
          data-testid="live-status"
          data-state={connected ? (subscribed ? 'live' : 'connected') : 'off'}
        />
        <button
          type="button"
          className="danger"
          onClick={() => setConfirmReset(true)}
          disabled={!view}
          data-testid="reset-lab"
        >
          {student ? 'Reset lab…' : 'Reset this student…'}
        </button>
      </header>
      {student && view?.instructorResetAt && view.instructorResetAt !== seenReset && (
        <div className="pb-notice info" role="status" data-testid="instructor-reset-notice">
          {instructorResetText(view.instructorResetAt)}{' '}
          <button type="button" onClick={() => setSeenReset(view.instructorResetAt)} data-testid="instructor-reset-ok">
            OK
          </button>
        </div>
      )}
      {exercise.failover && exercise.failover.at !== seenFailover && (
        <div className="pb-notice warn" role="status" data-testid="failover-notice">
          {failoverText(exercise.failover.at, exercise.failover.message)}{' '}
          <button type="button" onClick={() => setSeenFailover(exercise.failover?.at)} data-testid="failover-ok">
            OK
          </button>
        </div>
      )}
      {view?.terminalsOnly && (
        <div className="pb-notice info" role="status" data-testid="terminals-only-notice">
          {student
            ? TERMINALS_ONLY_TEXT
            : 'Terminals only: this session refuses students’ applies and destroys of their labs through the API.'}
        </div>
      )}
      {(exercise.actionError || exercise.liveError) && (
        <div className="pb-notice error" role="alert" data-testid="exercise-notice">
          {exercise.actionError ?? `Live check results unavailable (${exercise.liveError}); "Check now" still works.`}
        </div>
      )}
      <div className="pb-exercise-main">
        <aside className="pb-exercise-side" aria-label="Instructions and checks">
          {view ? (
            <>
              <section aria-labelledby="pb-instr-title" data-testid="instructions">
                <h2 id="pb-instr-title" className="pb-visually-hidden">
                  Instructions
                </h2>
                <p className="pb-summary">{view.scenario.summary}</p>
                <Markdown text={view.scenario.instructions} />
              </section>
              <ChecksPanel
                checks={view.scenario.checks}
                run={run}
                busy={exercise.busy === 'check'}
                onCheckNow={() => void exercise.actions.checkNow()}
              />
              <HintsPanel
                hints={view.hints}
                hintCount={view.scenario.hintCount}
                canReveal={student}
                busy={exercise.busy === 'hint'}
                onReveal={() => void exercise.actions.revealHint()}
              />
            </>
          ) : (
            <p className="pb-muted" role="status">
              Loading the exercise…
            </p>
          )}
        </aside>
        <div className="pb-exercise-work">
          <div className="pb-exercise-canvas">
            {lab && (
              <Canvas
                store={store}
                live={live}
                readOnly
                fitPadding={0.2}
                actions={{
                  ...(student
                    ? {
                        onTerminal: (node: string) => {
                          setTerminalAt((t) => ({ node, request: t.request + 1 }));
                          setTab('terminal');
                        },
                      }
                    : {}),
                  ...(whyOffered ? { onWhy: (from: string) => why.open({ from }) } : {}),
                }}
              />
            )}
          </div>
          <section className="pb-bottom" aria-label="Panels">
            <div className="pb-tabs" role="tablist">
              {tabs.map((t) => (
                <button key={t} role="tab" aria-selected={tab === t} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
                  {TAB_TITLES[t]}
                </button>
              ))}
            </div>
            <div className="pb-tab-body">
              {student && lab && (
                <div hidden={tab !== 'terminal'} className="pb-tab-fill">
                  <TerminalPanel
                    lab={lab}
                    applied
                    socket={socket}
                    {...((terminalAt.node ?? selected) ? { node: terminalAt.node ?? selected } : {})}
                    request={terminalAt.request}
                  />
                </div>
              )}
              {tab === 'tables' && lab && (
                <TablesPanel live={live} lab={lab} client={client} {...(selected ? { node: selected } : {})} />
              )}
              {whyOffered && (
                <div hidden={tab !== 'why'}>
                  <WhyPanel store={store} canAsk={!!lab} onAsk={() => why.open(selected ? { from: selected } : {})} />
                </div>
              )}
            </div>
          </section>
        </div>
      </div>
      {why.dialog}
      {confirmReset && (
        <ConfirmDialog
          title={student ? 'Reset your lab?' : `Reset ${mode.studentName}'s lab?`}
          text={resetText}
          confirm="Reset"
          testid="reset-dialog"
          onClose={() => setConfirmReset(false)}
          onConfirm={async () => {
            exercise.actions.takeRun(
              student ? await client.call('resetLab', { params: { name: labName } }) : await mode.resetStudent(),
            );
            // A reset realizes the lab again: read it again (and subscribe to its tables again).
            setOwnResets((n) => n + 1);
          }}
        />
      )}
    </div>
  );
}
