// What `validate` proved on the real kernel, stage by stage: the fresh lab fails a check, the
// solution makes every check pass (its steps with exit codes and output), a reset lab fails again.
// While it runs (seconds: the lab is realized, checked, solved, reset, destroyed) a clock shows it
// is still working.
import type { Problem, ValidationProof, ValidationStage } from '@patchbay/protocol';
import { useEffect, useState } from 'react';

export type ValidationView =
  | { state: 'running'; startedAt: number }
  | { state: 'done'; proof: ValidationProof }
  | { state: 'rejected'; message: string; problems: Problem[] }
  | { state: 'error'; message: string };

const STAGE_TITLE: Record<ValidationStage['stage'], string> = {
  fresh: '1. The fresh lab fails at least one check',
  solution: '2. The solution makes every check pass',
  reset: '3. A reset lab fails again',
};

function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(t);
  }, []);
  return <span className="mono">{((now - since) / 1000).toFixed(1)} s</span>;
}

export function ProofPanel({ view, onClose }: { view: ValidationView; onClose: () => void }) {
  return (
    <section className="pb-au-proof" aria-label="Validation" data-testid="proof">
      <header className="pb-au-proof-head">
        <strong>Validate</strong>
        {view.state === 'running' && (
          <span className="pb-progress" role="status" data-testid="proof-running">
            Realizing the lab, running the checks, the solution and a reset on the kernel…{' '}
            <Elapsed since={view.startedAt} />
          </span>
        )}
        {view.state === 'done' && (
          <span className={`badge ${view.proof.sound ? 'ok' : 'danger'}`} data-testid="proof-verdict">
            {view.proof.sound ? 'sound' : 'not sound'}
          </span>
        )}
        {view.state === 'done' && (
          <span className="pb-muted">
            {view.proof.scenario} on lab {view.proof.lab}, {(view.proof.ms / 1000).toFixed(1)} s
          </span>
        )}
        <span className="pb-spacer" />
        {view.state !== 'running' && (
          <button type="button" onClick={onClose} aria-label="Close the proof" data-testid="proof-close">
            ×
          </button>
        )}
      </header>
      <div className="pb-au-proof-body">
        {view.state === 'error' && (
          <p className="pb-error" role="alert">
            {view.message}
          </p>
        )}
        {view.state === 'rejected' && (
          <div role="alert">
            <p className="pb-error">{view.message}</p>
            <ul className="pb-au-problems">
              {view.problems.map((p, i) => (
                <li key={i}>
                  <code>{p.path || '(file)'}</code> {p.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {view.state === 'done' && (
          <ol className="pb-au-stages">
            {view.proof.stages.map((s) => (
              <Stage key={s.stage} stage={s} />
            ))}
          </ol>
        )}
      </div>
    </section>
  );
}

function Stage({ stage }: { stage: ValidationStage }) {
  return (
    <li className={`pb-au-stage ${stage.ok ? 'ok' : 'failed'}`} data-testid={`stage-${stage.stage}`}>
      <div>
        <span className={`badge ${stage.ok ? 'ok' : 'danger'}`}>{stage.ok ? 'ok' : 'failed'}</span>{' '}
        <strong>{STAGE_TITLE[stage.stage]}</strong>
      </div>
      <p className="pb-au-detail">{stage.detail}</p>
      {stage.steps && stage.steps.length > 0 && (
        <ol className="pb-au-steps-run">
          {stage.steps.map((s, i) => (
            <li key={i}>
              <span className={`badge ${s.code === 0 ? 'ok' : 'danger'}`} title="exit code">
                {s.code}
              </span>{' '}
              <span className="pb-muted">{s.node}$</span> <code>{s.run}</code>
              {s.output.trim() && <pre className="pb-au-output">{s.output}</pre>}
            </li>
          ))}
        </ol>
      )}
      {stage.results.length > 0 && (
        <table className="pb-au-results">
          <tbody>
            {stage.results.map((r) => (
              <tr key={r.id} className={r.pass ? 'pass' : 'fail'} data-testid={`result-${stage.stage}-${r.id}`}>
                <td>{r.pass ? '✓' : '✗'}</td>
                <td>
                  <strong>{r.title}</strong> <span className="pb-muted mono">{r.id}</span>
                </td>
                <td>{r.reason}</td>
                <td className="mono">{r.seen}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}
