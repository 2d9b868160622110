// "Apply": the plan first (every operation with its reason and its ip/bridge/iptables line), then
// the run, with progress and the result; what changed or failed is marked on the canvas.
import type { ApplyResponse } from '@patchbay/protocol';
import type { Lab } from '@patchbay/topology';
import { useEffect, useState } from 'react';
import { ApiError, client } from '../api/client';

type Phase =
  | { step: 'planning' }
  | { step: 'plan'; plan: ApplyResponse }
  | { step: 'applying'; plan: ApplyResponse; started: number }
  | { step: 'done'; result: ApplyResponse }
  | { step: 'error'; error: ApiError };

export interface ApplyOutcome {
  result?: ApplyResponse;
  error?: ApiError;
}

export function ApplyDialog({
  lab,
  warning,
  onClose,
  onApplied,
}: {
  lab: Lab;
  /** Said before anything runs (a class session's student lab: whose work applying replaces). */
  warning?: string | undefined;
  onClose: () => void;
  onApplied: (o: ApplyOutcome) => void;
}) {
  const [phase, setPhase] = useState<Phase>({ step: 'planning' });
  const [elapsed, setElapsed] = useState(0);

  useEffect(() => {
    let live = true;
    client.call('applyLab', { params: { name: lab.name }, query: { dryRun: 'true' }, body: lab }).then(
      (plan) => live && setPhase({ step: 'plan', plan }),
      (error: ApiError) => live && setPhase({ step: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [lab]);

  useEffect(() => {
    if (phase.step !== 'applying') return;
    const t = setInterval(() => setElapsed(performance.now() - phase.started), 100);
    return () => clearInterval(t);
  }, [phase]);

  const run = async (plan: ApplyResponse) => {
    setPhase({ step: 'applying', plan, started: performance.now() });
    try {
      const result = await client.call('applyLab', { params: { name: lab.name }, body: lab });
      setPhase({ step: 'done', result });
      onApplied({ result });
    } catch (e) {
      const error = e instanceof ApiError ? e : new ApiError(String(e), 0);
      setPhase({ step: 'error', error });
      onApplied({ error });
    }
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && phase.step !== 'applying') onClose();
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && phase.step === 'plan' && phase.plan.ops.length) {
        e.preventDefault();
        e.stopPropagation();
        void run(phase.plan);
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  });

  return (
    <div className="pb-modal-backdrop" role="presentation">
      <div
        className="pb-modal pb-apply"
        role="dialog"
        aria-modal="true"
        aria-labelledby="apply-title"
        data-testid="apply-dialog"
      >
        <h2 id="apply-title">Apply {lab.name}</h2>
        {warning && phase.step !== 'done' && (
          <p className="pb-apply-warning" role="alert" data-testid="apply-warning">
            {warning}
          </p>
        )}
        {phase.step === 'planning' && <p className="pb-muted">Planning…</p>}
        {phase.step === 'plan' &&
          (phase.plan.ops.length === 0 ? (
            <p data-testid="apply-nothing">The kernel already matches this lab: nothing to do.</p>
          ) : (
            <>
              <p>
                {phase.plan.ops.length} operation{phase.plan.ops.length === 1 ? '' : 's'} will run
                {phase.plan.revision > 0 ? ' (only what differs from the running lab)' : ''}:
              </p>
              <OpList ops={phase.plan.ops} />
            </>
          ))}
        {phase.step === 'applying' && (
          <p className="pb-progress" data-testid="apply-progress" aria-live="polite">
            Applying {phase.plan.ops.length} operations… {(elapsed / 1000).toFixed(1)} s
          </p>
        )}
        {phase.step === 'done' && (
          <div data-testid="apply-result" aria-live="polite">
            <p className="pb-ok">
              Applied revision {phase.result.revision}: {phase.result.ops.length} operation
              {phase.result.ops.length === 1 ? '' : 's'} in {(phase.result.timings.totalMs / 1000).toFixed(2)} s.
            </p>
            {phase.result.drift.length > 0 && (
              <div className="pb-warn">
                Still different after apply:
                <ul>
                  {phase.result.drift.map((d) => (
                    <li key={d}>{d}</li>
                  ))}
                </ul>
              </div>
            )}
            <OpList ops={phase.result.ops} />
          </div>
        )}
        {phase.step === 'error' && (
          <div className="pb-error" role="alert" data-testid="apply-error">
            <p>{phase.error.message}</p>
            {phase.error.failure && (
              <p className="mono">
                {phase.error.failure.command}
                <br />→ {phase.error.failure.error}
                {phase.error.failure.rolledBack ? ' (the lab was put back as it was)' : ''}
              </p>
            )}
            {phase.error.problems.length > 0 && (
              <ul>
                {phase.error.problems.map((p, i) => (
                  <li key={i}>
                    <span className="mono">{p.path || '(lab)'}</span>: {p.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        <div className="pb-modal-buttons">
          {phase.step === 'plan' && phase.plan.ops.length > 0 && (
            <button
              type="button"
              className="primary"
              onClick={() => void run(phase.plan)}
              data-testid="apply-confirm"
              autoFocus
            >
              Apply {phase.plan.ops.length} operations (Ctrl+Enter)
            </button>
          )}
          <button type="button" onClick={onClose} disabled={phase.step === 'applying'} data-testid="apply-close">
            {phase.step === 'done' || phase.step === 'error' ? 'Close' : 'Cancel'}
          </button>
        </div>
      </div>
    </div>
  );
}

function OpList({ ops }: { ops: ApplyResponse['ops'] }) {
  return (
    <ol className="pb-ops" data-testid="apply-ops">
      {ops.map((op, i) => (
        <li key={i} className={`op-${op.action}`} data-testid="apply-op">
          <span className="pb-op-reason">{op.reason}</span>
          <code className="mono">{op.command}</code>
        </li>
      ))}
    </ol>
  );
}
