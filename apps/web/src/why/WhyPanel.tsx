// The Why? panel: the answer shown on the canvas, in words — the question, the request's and the
// reply's hops in order, the verdict with the fix (announced: aria-live), the probe's line, and the
// commands to check it by hand. "Clear" takes the path off the canvas; "Ask…" opens the question.
import { useStore } from 'zustand';
import type { EditorStore } from '../store/editor';
import { commandsOf, endpointTexts, fixText, hopLines, probeText, questionText, verdictText } from './why-format';
import type { WhyHop } from '@patchbay/topology';
import './why.css';

function Hops({ title, hops, testid }: { title: string; hops: WhyHop[]; testid: string }) {
  return (
    <section className="pb-why-hops" aria-label={title}>
      <h3>{title}</h3>
      <ol data-testid={testid}>
        {hopLines(hops).map((h, i) => (
          <li key={i} className={`pb-why-hop why-${h.action}`} data-testid="why-hop" data-node={h.node}>
            <strong>{h.node}</strong>
            {h.interfaces && <span className="mono"> {h.interfaces}</span>} <span className="badge">{h.action}</span>{' '}
            {h.detail}
            {h.addresses && (
              <span className={`mono pb-why-addr ${h.translated ? 'translated' : ''}`}>
                {' '}
                ({h.outer ? 'outer header ' : h.translated ? 'translated to ' : ''}
                {h.addresses})
              </span>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** `canAsk`: the lab runs (and Why? is allowed here); otherwise `cannotAsk` says why not. */
export function WhyPanel({
  store,
  onAsk,
  canAsk,
  cannotAsk,
}: {
  store: EditorStore;
  onAsk: () => void;
  canAsk: boolean;
  cannotAsk?: string;
}) {
  const why = useStore(store, (s) => s.why);
  const r = why?.result;
  const fix = r && fixText(r);
  const commands = r ? commandsOf(r) : [];
  return (
    <section className="pb-panel pb-why" data-testid="why-panel" aria-label="Why?">
      <div className="pb-actions">
        <button type="button" className="pb-btn" onClick={onAsk} disabled={!canAsk} data-testid="why-open">
          Ask why…
        </button>
        {r && (
          <button
            type="button"
            className="pb-btn"
            onClick={() => store.getState().showWhy(undefined)}
            data-testid="why-clear"
          >
            Clear
          </button>
        )}
        {!canAsk && cannotAsk && <span className="pb-hint">{cannotAsk}</span>}
      </div>
      {!r && (
        <p className="pb-muted">
          Ask why a packet does or does not get through: right-click a node and pick “Why?”, or press “Why?” under a
          failed ping. The path is drawn on the canvas, hop by hop.
        </p>
      )}
      {r && (
        <>
          <p className="pb-why-question" data-testid="why-question">
            {questionText(r.query)}
          </p>
          <Hops title="The request" hops={r.forward} testid="why-forward" />
          {r.reverse.length > 0 && <Hops title="The reply" hops={r.reverse} testid="why-reverse" />}
        </>
      )}
      {/* Always in the page, so a new verdict is announced when it arrives. */}
      <div aria-live="polite" aria-atomic="true" data-testid="why-verdict-live">
        {r && (
          <div
            className={`pb-why-verdict ${r.reachable ? 'reachable' : 'blocked'}`}
            data-testid="why-verdict"
            data-reachable={String(r.reachable)}
          >
            <strong>{verdictText(r)}</strong>
            {fix && <div data-testid="why-fix">{fix}</div>}
            <div className="pb-why-probe" data-testid="why-probe-line">
              {probeText(r.probe)}
            </div>
          </div>
        )}
      </div>
      {r?.endpoints && r.endpoints.length > 0 && (
        <section aria-label="Every endpoint of the Service" data-testid="why-endpoints">
          <h3>Every endpoint (a random pick per connection; the path above is the first)</h3>
          <ul>
            {endpointTexts(r).map((e) => (
              <li key={e.endpoint} data-testid="why-endpoint" data-reachable={String(e.reachable)}>
                {e.text}
              </li>
            ))}
          </ul>
        </section>
      )}
      {r?.probe?.trace && r.probe.trace.length > 0 && (
        <details>
          <summary>Netfilter's trace of the probe</summary>
          <pre className="mono">{r.probe.trace.join('\n')}</pre>
        </details>
      )}
      {commands.length > 0 && (
        <details>
          <summary>The commands behind this answer (to run yourself)</summary>
          <pre className="mono">{commands.join('\n')}</pre>
        </details>
      )}
    </section>
  );
}
