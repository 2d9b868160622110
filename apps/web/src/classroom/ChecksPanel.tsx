// The exercise's checks as the kernel last judged them: pass or fail per check with the reason and
// what was seen, the summary (2/3), when the last run finished and what triggered it.
import { plural } from '@patchbay/topology';
import type { CheckRun, ExerciseView } from '@patchbay/protocol';
import { Markdown } from './Markdown';
import { agoText, clockText, solved, summaryText, triggerText } from './progress';
import { useNow } from './useNow';

export function ChecksPanel(props: {
  checks: ExerciseView['scenario']['checks'];
  run: CheckRun | undefined;
  busy: boolean;
  onCheckNow: () => void;
}) {
  const { checks, run } = props;
  const now = useNow(5000);
  const byId = new Map((run?.results ?? []).map((r) => [r.id, r]));
  // Checks of the scenario in its order; a result the view did not list (it changed) still shows.
  const rows = [
    ...checks.map((c) => ({ id: c.id, title: c.title })),
    ...(run?.results ?? []).filter((r) => !checks.some((c) => c.id === r.id)),
  ];
  const total = run?.total ?? checks.length;
  const done = run ? solved(run) : false;
  return (
    <section className="pb-checks" aria-labelledby="pb-checks-title" data-testid="checks">
      <div className="pb-section-head">
        <h2 id="pb-checks-title">Checks</h2>
        <span
          className={`badge ${done ? 'ok' : run ? 'warn' : ''}`}
          data-testid="checks-summary"
          aria-label={`${run?.passed ?? 0} of ${plural(total, 'check')} pass`}
        >
          {summaryText(run?.passed, total)}
        </span>
        <span className="pb-spacer" />
        <button
          type="button"
          onClick={props.onCheckNow}
          disabled={props.busy}
          data-testid="check-now"
          title="Run every check against the lab's kernel now"
        >
          {props.busy ? 'Checking…' : 'Check now'}
        </button>
      </div>
      {done && (
        <p className="pb-solved" role="status" data-testid="solved">
          Every check passes: solved!
        </p>
      )}
      <ul className="pb-check-list" aria-live="polite">
        {rows.map((c) => {
          const r = byId.get(c.id);
          const state = r ? (r.pass ? 'pass' : 'fail') : 'unknown';
          return (
            <li key={c.id} className={`pb-check ${state}`} data-testid={`check-${c.id}`} data-state={state}>
              <span className="pb-check-mark" aria-hidden>
                {state === 'pass' ? '✔' : state === 'fail' ? '✘' : '…'}
              </span>
              <span className="pb-visually-hidden">
                {state === 'pass' ? 'passes:' : state === 'fail' ? 'fails:' : 'not checked yet:'}
              </span>
              <div className="pb-check-body">
                <div className="pb-check-title">{c.title}</div>
                {r && !r.pass && r.reason && <div className="pb-check-reason">{r.reason}</div>}
                {r && r.seen && (
                  <div className="pb-check-seen mono" title="what the check saw">
                    {r.seen}
                  </div>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      <p className="pb-muted pb-check-when" data-testid="checks-when">
        {run ? (
          <>
            Last run at{' '}
            <time dateTime={run.at} title={agoText(run.at, now)}>
              {clockText(run.at)}
            </time>{' '}
            {triggerText(run.trigger)} ({Math.round(run.ms)} ms). The checks run again by themselves whenever the lab's
            kernel state changes.
          </>
        ) : (
          'Not checked yet.'
        )}
      </p>
    </section>
  );
}

export function HintsPanel(props: {
  hints: string[];
  hintCount: number;
  canReveal: boolean;
  busy: boolean;
  onReveal: () => void;
}) {
  const left = props.hintCount - props.hints.length;
  if (props.hintCount === 0) return null;
  return (
    <section className="pb-hints" aria-labelledby="pb-hints-title" data-testid="hints">
      <div className="pb-section-head">
        <h2 id="pb-hints-title">Hints</h2>
        <span className="badge">
          {props.hints.length}/{props.hintCount}
        </span>
      </div>
      {props.hints.length > 0 && (
        <ol className="pb-hint-list">
          {props.hints.map((h, k) => (
            <li key={k} data-testid="hint">
              <HintText text={h} />
            </li>
          ))}
        </ol>
      )}
      {props.canReveal && left > 0 && (
        <button type="button" onClick={props.onReveal} disabled={props.busy} data-testid="reveal-hint">
          {props.hints.length ? 'Show the next hint' : 'Show a hint'} ({left} left)
        </button>
      )}
      {!props.canReveal && props.hints.length === 0 && <p className="pb-muted">No hint revealed.</p>}
    </section>
  );
}

function HintText({ text }: { text: string }) {
  return <Markdown text={text} className="pb-markdown pb-hint-text" />;
}
