// The ping panel's view of a run: ping's lines as they arrive (kept scrolled to the newest), the RTT
// plot, and the summary with its statistics once ping has finished.
import type { PingEvent, PingReply, PingSummary } from '@patchbay/protocol';
import { useEffect, useMemo, useRef } from 'react';
import { formatEvent, formatReply, formatRtt, formatRttStats, formatSummary, pingSeries } from '../ping-format';
import { RttPlot } from './RttPlot';

export type Entry = { kind: 'reply'; key: number; r: PingReply } | { kind: 'event'; key: number; e: PingEvent };

export interface Run {
  id?: string;
  /** The node it was sent from, and whether with don't-fragment (what a Why? of it asks). */
  from?: string;
  df?: boolean;
  target: string;
  size: number;
  count: number;
  entries: Entry[];
  summary?: PingSummary;
}

export function PingReplies({ run, running }: { run: Run; running: boolean }) {
  const replies = useMemo(() => run.entries.flatMap((e) => (e.kind === 'reply' ? [e.r] : [])), [run]);
  const events = useMemo(() => run.entries.flatMap((e) => (e.kind === 'event' ? [e.e] : [])), [run]);
  const series = useMemo(() => pingSeries(replies, events, run.summary), [replies, events, run.summary]);

  const listRef = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const el = listRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [run.entries.length]);

  return (
    <div className="pb-ping-run">
      <div className="pb-ping-head">
        PING {run.target}: {run.size} data bytes{running ? ' — running' : ''}
      </div>
      <ol ref={listRef} className="pb-lines pb-ping-replies" data-testid="ping-replies" aria-label="Ping replies">
        {run.entries.map((en) =>
          en.kind === 'reply' ? (
            <li key={en.key} className="pb-line" data-testid="ping-reply">
              {formatReply(en.r, run.size)}
            </li>
          ) : (
            <li key={en.key} className={`pb-line pb-line-warn pb-ping-${en.e.type}`} data-testid="ping-event">
              {formatEvent(en.e)}
            </li>
          ),
        )}
        {run.entries.length === 0 && running && <li className="pb-line pb-muted">waiting for replies…</li>}
      </ol>
      {series.length > 0 && <RttPlot points={series} count={run.count} />}
      {run.summary && (
        <div className="pb-summary" data-testid="ping-summary" role="status">
          <div className={run.summary.received < run.summary.transmitted ? 'pb-warn-text' : undefined}>
            {formatSummary(run.summary)}
          </div>
          {formatRttStats(run.summary) && <div>{formatRttStats(run.summary)}</div>}
          <dl className="pb-stats">
            <div>
              <dt>sent</dt>
              <dd>{run.summary.transmitted}</dd>
            </div>
            <div>
              <dt>received</dt>
              <dd>{run.summary.received}</dd>
            </div>
            <div>
              <dt>loss</dt>
              <dd>{run.summary.lossPercent}%</dd>
            </div>
            <div>
              <dt>min</dt>
              <dd>{formatRtt(run.summary.rttMinMs)} ms</dd>
            </div>
            <div>
              <dt>avg</dt>
              <dd>{formatRtt(run.summary.rttAvgMs)} ms</dd>
            </div>
            <div>
              <dt>max</dt>
              <dd>{formatRtt(run.summary.rttMaxMs)} ms</dd>
            </div>
          </dl>
        </div>
      )}
    </div>
  );
}
