// The ping panel: ping from a node of the lab (inside its namespace, on the server) to an address,
// over the live socket (`ping:start` → `ping:reply`/`ping:event`… → `ping:summary`). Shows ping's
// lines, the summary and a small RTT plot per seq. A running ping is stopped when the panel goes.
import type { PingEvent, PingReply, PingSummary, Problem } from '@patchbay/protocol';
import type { Lab } from '@patchbay/topology';
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { liveSocket } from '../api/live';
import {
  defaultTarget,
  formatEvent,
  formatReply,
  formatRtt,
  formatRttStats,
  formatSummary,
  labAddresses,
  pingFormProblems,
  pingSeries,
  pingSources,
  type SeqPoint,
} from './ping-format';
import './panels.css';

type Entry = { kind: 'reply'; key: number; r: PingReply } | { kind: 'event'; key: number; e: PingEvent };

interface Run {
  id?: string;
  target: string;
  size: number;
  count: number;
  entries: Entry[];
  summary?: PingSummary;
}

const ACK_TIMEOUT_MS = 10_000;

export function PingPanel(props: { lab: Lab; applied: boolean; node?: string }) {
  const { lab, applied } = props;
  const uid = useId();
  const sources = useMemo(() => pingSources(lab), [lab]);
  const addresses = useMemo(() => labAddresses(lab), [lab]);

  const [from, setFrom] = useState<string>(() => (props.node && sources.includes(props.node) ? props.node : (sources[0] ?? '')));
  const [target, setTarget] = useState<string>(() => defaultTarget(lab, from) ?? '');
  const [targetTouched, setTargetTouched] = useState(false);
  const [count, setCount] = useState('4');
  const [interval, setIntervalMs] = useState('1000');
  const [size, setSize] = useState('56');
  const [dontFragment, setDontFragment] = useState(false);

  const [run, setRun] = useState<Run | undefined>();
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<{ message: string; problems: Problem[] } | undefined>();

  // The canvas selection is the default "from": a newly selected node replaces it.
  const lastNode = useRef(props.node);
  useEffect(() => {
    if (props.node === lastNode.current) return;
    lastNode.current = props.node;
    if (props.node && sources.includes(props.node)) setFrom(props.node);
  }, [props.node, sources]);
  // A "from" that left the lab: fall back to the first source.
  useEffect(() => {
    if (!sources.includes(from)) setFrom(sources[0] ?? '');
  }, [sources, from]);
  // Propose a target on another node until the user types one.
  useEffect(() => {
    if (!targetTouched) setTarget(defaultTarget(lab, from) ?? '');
  }, [lab, from, targetTouched]);

  const idRef = useRef<string | undefined>(undefined);
  const nextKey = useRef(0);
  // Events of a ping whose ack has not arrived yet (the server may send them first).
  const early = useRef<{ id: string; entry: Entry }[] | undefined>(undefined);
  const earlySummaries = useRef(new Map<string, PingSummary>());

  useEffect(() => {
    const socket = liveSocket();
    const accept = (id: string): boolean => idRef.current === id;
    const push = (id: string, entry: Entry) => {
      if (accept(id)) setRun((r) => (r && r.id === id ? { ...r, entries: [...r.entries, entry] } : r));
      else if (idRef.current === undefined && early.current) early.current.push({ id, entry });
    };
    const onReply = (r: PingReply) => push(r.id, { kind: 'reply', key: nextKey.current++, r });
    const onEvent = (e: PingEvent) => push(e.id, { kind: 'event', key: nextKey.current++, e });
    const onSummary = (s: PingSummary) => {
      if (accept(s.id)) {
        idRef.current = undefined;
        setRun((r) => (r && r.id === s.id ? { ...r, summary: s } : r));
      } else if (idRef.current === undefined && early.current) earlySummaries.current.set(s.id, s);
    };
    const onDisconnect = () => {
      if (!idRef.current) return;
      idRef.current = undefined;
      setRun((r) => (r && !r.summary ? { ...r, id: undefined } : r));
      setError({ message: 'the connection to the server was lost; the ping ended', problems: [] });
    };
    socket.on('ping:reply', onReply);
    socket.on('ping:event', onEvent);
    socket.on('ping:summary', onSummary);
    socket.on('disconnect', onDisconnect);
    return () => {
      socket.off('ping:reply', onReply);
      socket.off('ping:event', onEvent);
      socket.off('ping:summary', onSummary);
      socket.off('disconnect', onDisconnect);
    };
  }, []);

  // Stop a running ping when the panel goes away or the lab changes.
  useEffect(
    () => () => {
      const id = idRef.current;
      if (id) {
        liveSocket().emit('ping:stop', { id });
        idRef.current = undefined;
      }
    },
    [lab.name],
  );

  const fields = { target: target.trim(), count: Number(count), intervalMs: Number(interval), size: Number(size) };
  const problems = pingFormProblems(fields);
  const running = run !== undefined && run.summary === undefined && (run.id !== undefined || starting);
  const canStart = applied && !running && !starting && !!from && Object.keys(problems).length === 0;
  const hint = !applied
    ? 'apply the lab first'
    : !from
      ? 'the lab has no node to ping from (bridges cannot ping)'
      : Object.keys(problems).length > 0
        ? 'fix the fields marked below'
        : undefined;

  const start = async (ev?: FormEvent) => {
    ev?.preventDefault();
    if (!canStart) return;
    const socket = liveSocket();
    setError(undefined);
    setStarting(true);
    early.current = [];
    earlySummaries.current.clear();
    const pending: Run = { target: fields.target, size: fields.size, count: fields.count, entries: [] };
    setRun(pending);
    try {
      const ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('ping:start', {
        lab: lab.name,
        node: from,
        target: fields.target,
        count: fields.count,
        intervalMs: fields.intervalMs,
        size: fields.size,
        dontFragment,
      });
      if (!ack.ok) {
        setRun(undefined);
        setError({ message: ack.error, problems: ack.problems ?? [] });
        return;
      }
      const entries = (early.current ?? []).filter((x) => x.id === ack.id).map((x) => x.entry);
      const summary = earlySummaries.current.get(ack.id);
      idRef.current = summary ? undefined : ack.id;
      setRun({ ...pending, id: ack.id, entries, ...(summary ? { summary } : {}) });
    } catch {
      setRun(undefined);
      setError({
        message: socket.connected ? 'the server did not answer the ping request in time' : 'not connected to the Patchbay server: is it running?',
        problems: [],
      });
    } finally {
      early.current = undefined;
      earlySummaries.current.clear();
      setStarting(false);
    }
  };

  const stop = () => {
    const id = idRef.current;
    if (id) liveSocket().emit('ping:stop', { id });
  };

  const replies = useMemo(() => (run ? run.entries.flatMap((e) => (e.kind === 'reply' ? [e.r] : [])) : []), [run]);
  const events = useMemo(() => (run ? run.entries.flatMap((e) => (e.kind === 'event' ? [e.e] : [])) : []), [run]);
  const series = useMemo(() => pingSeries(replies, events, run?.summary), [replies, events, run?.summary]);

  const listRef = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const el = listRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [run?.entries.length]);

  const ids = {
    from: `${uid}-from`,
    target: `${uid}-target`,
    targets: `${uid}-targets`,
    pick: `${uid}-pick`,
    count: `${uid}-count`,
    interval: `${uid}-interval`,
    size: `${uid}-size`,
    df: `${uid}-df`,
    hint: `${uid}-hint`,
  };
  const invalid = (k: string) => (problems[k] ? { 'aria-invalid': true as const, 'aria-describedby': `${uid}-${k}-err` } : {});
  const fieldError = (k: string) =>
    problems[k] ? (
      <span id={`${uid}-${k}-err`} className="pb-field-error">
        {problems[k]}
      </span>
    ) : null;

  return (
    <section className="pb-panel pb-ping" data-testid="ping-panel" aria-label="Ping">
      <form className="pb-form" onSubmit={start} noValidate>
        <div className="pb-field">
          <label htmlFor={ids.from}>From</label>
          <select id={ids.from} data-testid="ping-from" value={from} onChange={(e) => setFrom(e.target.value)} disabled={running}>
            {sources.length === 0 && <option value="">(no node)</option>}
            {sources.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <div className="pb-field pb-field-wide">
          <label htmlFor={ids.target}>Target</label>
          <div className="pb-inline">
            <input
              id={ids.target}
              data-testid="ping-target"
              type="text"
              inputMode="decimal"
              autoComplete="off"
              spellCheck={false}
              placeholder="10.0.0.2"
              list={ids.targets}
              value={target}
              disabled={running}
              onChange={(e) => {
                setTarget(e.target.value);
                setTargetTouched(true);
              }}
              {...invalid('target')}
            />
            <datalist id={ids.targets}>
              {addresses.map((a) => (
                <option key={a.address} value={a.address} label={a.label} />
              ))}
            </datalist>
            <select
              id={ids.pick}
              aria-label="Pick a lab address as target"
              data-testid="ping-target-pick"
              value={addresses.some((a) => a.address === target.trim()) ? target.trim() : ''}
              disabled={running || addresses.length === 0}
              onChange={(e) => {
                if (!e.target.value) return;
                setTarget(e.target.value);
                setTargetTouched(true);
              }}
            >
              <option value="">{addresses.length ? 'lab addresses…' : 'no addresses in the lab'}</option>
              {addresses.map((a) => (
                <option key={a.address} value={a.address}>
                  {a.address} — {a.label}
                </option>
              ))}
            </select>
          </div>
          {fieldError('target')}
        </div>
        <div className="pb-field pb-field-num">
          <label htmlFor={ids.count}>Count</label>
          <input id={ids.count} data-testid="ping-count" type="number" min={1} max={100} step={1} value={count} disabled={running} onChange={(e) => setCount(e.target.value)} {...invalid('count')} />
          {fieldError('count')}
        </div>
        <div className="pb-field pb-field-num">
          <label htmlFor={ids.interval}>Interval (ms)</label>
          <input id={ids.interval} data-testid="ping-interval" type="number" min={200} max={5000} step={100} value={interval} disabled={running} onChange={(e) => setIntervalMs(e.target.value)} {...invalid('intervalMs')} />
          {fieldError('intervalMs')}
        </div>
        <div className="pb-field pb-field-num">
          <label htmlFor={ids.size}>Size (bytes)</label>
          <input id={ids.size} data-testid="ping-size" type="number" min={0} max={1472} step={1} value={size} disabled={running} onChange={(e) => setSize(e.target.value)} {...invalid('size')} />
          {fieldError('size')}
        </div>
        <div className="pb-field pb-field-check">
          <input id={ids.df} data-testid="ping-df" type="checkbox" checked={dontFragment} disabled={running} onChange={(e) => setDontFragment(e.target.checked)} />
          <label htmlFor={ids.df}>Don't fragment</label>
        </div>
        <div className="pb-actions">
          <button type="submit" className="pb-btn pb-btn-primary" data-testid="ping-start" disabled={!canStart} aria-describedby={hint ? ids.hint : undefined}>
            {starting ? 'Starting…' : 'Start'}
          </button>
          <button type="button" className="pb-btn" data-testid="ping-stop" disabled={!running || !run?.id} onClick={stop}>
            Stop
          </button>
          {hint && !running && (
            <span id={ids.hint} className="pb-hint" data-testid="ping-hint">
              {hint}
            </span>
          )}
        </div>
      </form>

      {error && (
        <div className="pb-error" role="alert" data-testid="ping-error">
          <strong>Ping failed:</strong> {error.message}
          {error.problems.length > 0 && (
            <ul>
              {error.problems.map((p, i) => (
                <li key={i}>
                  {p.path && <code>{p.path}</code>} {p.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}

      {run && (
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
      )}
    </section>
  );
}

/** Bars of RTT per seq (height relative to the largest), lost seqs as a red cross, pending ones faint. */
function RttPlot({ points, count }: { points: SeqPoint[]; count: number }) {
  const W = 300;
  const H = 60;
  const n = Math.max(points.length, count, 1);
  const slot = W / n;
  const bar = Math.max(1, Math.min(slot * 0.7, 24));
  const max = Math.max(...points.map((p) => p.rttMs ?? 0), 0.001);
  const lost = points.filter((p) => p.state === 'lost').length;
  const ok = points.filter((p) => p.state === 'ok').length;
  const label = `RTT per sequence number: ${ok} replies, ${lost} lost, max ${formatRtt(max)} ms`;
  return (
    <figure className="pb-rtt" data-testid="ping-plot">
      <svg viewBox={`0 0 ${W} ${H + 2}`} preserveAspectRatio="none" role="img" aria-label={label}>
        <line x1={0} y1={H} x2={W} y2={H} className="pb-rtt-axis" />
        {points.map((p) => {
          const x = (p.seq - 1) * slot + (slot - bar) / 2;
          if (p.state === 'ok') {
            const h = p.rttMs === undefined ? 2 : Math.max(2, (p.rttMs / max) * (H - 4));
            return (
              <rect key={p.seq} x={x} y={H - h} width={bar} height={h} className="pb-rtt-ok">
                <title>{`seq ${p.seq}: ${p.rttMs === undefined ? 'reply (no time)' : `${formatRtt(p.rttMs)} ms`}`}</title>
              </rect>
            );
          }
          if (p.state === 'lost') {
            const cx = x + bar / 2;
            const r = Math.min(5, Math.max(2, bar / 2));
            return (
              <g key={p.seq} className="pb-rtt-lost">
                <title>{`seq ${p.seq}: lost`}</title>
                <rect x={x} y={0} width={bar} height={H} className="pb-rtt-lost-bg" />
                <line x1={cx - r} y1={H - 2 * r - 2} x2={cx + r} y2={H - 2} />
                <line x1={cx - r} y1={H - 2} x2={cx + r} y2={H - 2 * r - 2} />
              </g>
            );
          }
          return (
            <rect key={p.seq} x={x} y={H - 2} width={bar} height={2} className="pb-rtt-pending">
              <title>{`seq ${p.seq}: waiting`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption className="pb-muted">
        RTT per seq (max {formatRtt(max)} ms){lost > 0 ? `, ${lost} lost` : ''}
      </figcaption>
    </figure>
  );
}
