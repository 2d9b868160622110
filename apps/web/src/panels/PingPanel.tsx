// The ping panel: ping from a node of the lab (inside its namespace, on the server) to an address,
// over the live socket (`ping:start` with an id chosen here → `ping:reply`/`ping:event`… →
// `ping:summary`, each carrying that id). Shows ping's lines, the summary and a small RTT plot per
// seq (views: ./ping/). A running ping is stopped when the panel goes. A ping that lost packets
// offers Why? about its source and target.
import type { LiveAck, PingEvent, PingReply, PingSummary, Problem } from '@patchbay/protocol';
import type { Lab } from '@patchbay/topology';
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { liveSocket } from '../api/live';
import { newStreamId } from '../api/stream-id';
import { defaultTarget, labAddresses, pingFormProblems, pingSources } from './ping-format';
import { PingReplies, type Run } from './ping/PingReplies';
import { takePingEvent, type PingStreamEvent } from './ping/ping-run';
import { pingWhyPrefill, type WhyPrefill } from '../why/why-form';
import './panels.css';

const ACK_TIMEOUT_MS = 10_000;

export function PingPanel(props: {
  lab: Lab;
  applied: boolean;
  node?: string;
  /** Asks Why? about a ping that lost packets. */
  onWhy?: (prefill: WhyPrefill) => void;
}) {
  const { lab, applied } = props;
  const uid = useId();
  const sources = useMemo(() => pingSources(lab), [lab]);
  const addresses = useMemo(() => labAddresses(lab), [lab]);

  const [from, setFrom] = useState<string>(() =>
    props.node && sources.includes(props.node) ? props.node : (sources[0] ?? ''),
  );
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

  // The id of this panel's ping while it may still send events: chosen here before `ping:start`
  // is sent, so every event carrying it is this ping's, even one that comes before the ack.
  const idRef = useRef<string | undefined>(undefined);
  const nextKey = useRef(0);

  useEffect(() => {
    const socket = liveSocket();
    const take = (ev: PingStreamEvent) => {
      const key = nextKey.current++;
      setRun((r) => takePingEvent(r, ev, key));
    };
    const onReply = (r: PingReply) => r.id === idRef.current && take({ kind: 'reply', r });
    const onEvent = (e: PingEvent) => e.id === idRef.current && take({ kind: 'event', e });
    const onSummary = (s: PingSummary) => {
      if (s.id !== idRef.current) return;
      idRef.current = undefined;
      take({ kind: 'summary', s });
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
    const id = newStreamId();
    setError(undefined);
    setStarting(true);
    idRef.current = id;
    setRun({ id, from, df: dontFragment, target: fields.target, size: fields.size, count: fields.count, entries: [] });
    const refused = (message: string, problems: Problem[] = []) => {
      if (idRef.current === id) idRef.current = undefined;
      setRun((r) => (r?.id === id ? undefined : r));
      setError({ message, problems });
    };
    try {
      // socket.io types an ack that has a timeout as `any`; the contract says LiveAck.
      const ack = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('ping:start', {
        id,
        lab: lab.name,
        node: from,
        target: fields.target,
        count: fields.count,
        intervalMs: fields.intervalMs,
        size: fields.size,
        dontFragment,
      })) as LiveAck;
      if (!ack.ok) refused(ack.error, ack.problems);
    } catch {
      refused(
        socket.connected
          ? 'the server did not answer the ping request in time'
          : 'not connected to the Patchbay server: is it running?',
      );
    } finally {
      setStarting(false);
    }
  };

  const whyPrefill = run && pingWhyPrefill(run);

  const stop = () => {
    const id = idRef.current;
    if (id) liveSocket().emit('ping:stop', { id });
  };

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
  const invalid = (k: string) =>
    problems[k] ? { 'aria-invalid': true as const, 'aria-describedby': `${uid}-${k}-err` } : {};
  const fieldError = (k: string) =>
    problems[k] ? (
      <span id={`${uid}-${k}-err`} className="pb-field-error">
        {problems[k]}
      </span>
    ) : null;

  return (
    <section className="pb-panel pb-ping" data-testid="ping-panel" aria-label="Ping">
      <form className="pb-form" onSubmit={(e) => void start(e)} noValidate>
        <div className="pb-field">
          <label htmlFor={ids.from}>From</label>
          <select
            id={ids.from}
            data-testid="ping-from"
            value={from}
            onChange={(e) => setFrom(e.target.value)}
            disabled={running}
          >
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
          <input
            id={ids.count}
            data-testid="ping-count"
            type="number"
            min={1}
            max={100}
            step={1}
            value={count}
            disabled={running}
            onChange={(e) => setCount(e.target.value)}
            {...invalid('count')}
          />
          {fieldError('count')}
        </div>
        <div className="pb-field pb-field-num">
          <label htmlFor={ids.interval}>Interval (ms)</label>
          <input
            id={ids.interval}
            data-testid="ping-interval"
            type="number"
            min={200}
            max={5000}
            step={100}
            value={interval}
            disabled={running}
            onChange={(e) => setIntervalMs(e.target.value)}
            {...invalid('intervalMs')}
          />
          {fieldError('intervalMs')}
        </div>
        <div className="pb-field pb-field-num">
          <label htmlFor={ids.size}>Size (bytes)</label>
          <input
            id={ids.size}
            data-testid="ping-size"
            type="number"
            min={0}
            max={1472}
            step={1}
            value={size}
            disabled={running}
            onChange={(e) => setSize(e.target.value)}
            {...invalid('size')}
          />
          {fieldError('size')}
        </div>
        <div className="pb-field pb-field-check">
          <input
            id={ids.df}
            data-testid="ping-df"
            type="checkbox"
            checked={dontFragment}
            disabled={running}
            onChange={(e) => setDontFragment(e.target.checked)}
          />
          <label htmlFor={ids.df}>Don't fragment</label>
        </div>
        <div className="pb-actions">
          <button
            type="submit"
            className="pb-btn pb-btn-primary"
            data-testid="ping-start"
            disabled={!canStart}
            aria-describedby={hint ? ids.hint : undefined}
          >
            {starting ? 'Starting…' : 'Start'}
          </button>
          <button
            type="button"
            className="pb-btn"
            data-testid="ping-stop"
            disabled={!running || starting || !run?.id}
            onClick={stop}
          >
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

      {run && <PingReplies run={run} running={running} />}
      {props.onWhy && whyPrefill && (
        <div className="pb-actions">
          <button type="button" className="pb-btn" data-testid="ping-why" onClick={() => props.onWhy?.(whyPrefill)}>
            Why? ({run?.summary?.received === 0 ? 'no reply' : 'replies lost'})
          </button>
        </div>
      )}
    </section>
  );
}
