// The terminal panel: shells in the lab's netns and router nodes (each in its sandbox on the server),
// several at once in tabs, over the live socket (`terminal:open|input|resize|close` → `terminal:output`
// batches, each acked once xterm took it → `terminal:exit`). The screens are xterm.js (./terminal/
// session.ts); they fit the panel as it is resized. Closing a tab ends its shell; changing labs or
// leaving the page ends them all.
import type { TerminalExit, TerminalOutput } from '@patchbay/protocol';
import type { Lab } from '@patchbay/topology';
import '@xterm/xterm/css/xterm.css';
import { useCallback, useEffect, useId, useMemo, useReducer, useRef, useState } from 'react';
import { liveSocket, type LiveSocket } from '../api/live';
import { TerminalSession } from './terminal/session';
import './panels.css';
import './terminal/terminal.css';

/** Nodes a terminal may open in: hosts and bridges hold the lab's bridges and tunnels, never a shell. */
export function terminalNodes(lab: Lab): string[] {
  return Object.entries(lab.nodes)
    .filter(([, n]) => n.kind === 'netns' || n.kind === 'router')
    .map(([name]) => name)
    .sort();
}

function TerminalScreen({ session, active }: { session: TerminalSession; active: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = ref.current;
    if (!box || !active) return;
    session.attach(box);
    session.focus();
    const observer = new ResizeObserver(() => session.fit());
    observer.observe(box);
    return () => observer.disconnect();
  }, [session, active]);
  useEffect(() => () => session.detach(), [session]);
  return (
    <div ref={ref} className="pb-term-screen" hidden={!active} data-testid="terminal-screen" data-node={session.node} />
  );
}

/** `socket`: the page's connection unless the page connects with a token of its own (a student's lab). */
export function TerminalPanel(props: {
  lab: Lab;
  applied: boolean;
  node?: string;
  request?: number;
  socket?: LiveSocket;
}) {
  const { lab, applied } = props;
  const socket = props.socket ?? liveSocket();
  const uid = useId();
  const nodes = useMemo(() => terminalNodes(lab), [lab]);
  const [node, setNode] = useState(() => (props.node && nodes.includes(props.node) ? props.node : (nodes[0] ?? '')));
  const [sessions, setSessions] = useState<TerminalSession[]>([]);
  const [active, setActive] = useState<number>();
  const [error, setError] = useState<string>();
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const live = useRef<TerminalSession[]>([]);
  const nextKey = useRef(1);

  const remove = useCallback((s: TerminalSession) => {
    s.dispose();
    live.current = live.current.filter((x) => x !== s);
    setSessions(live.current);
    setActive((a) => (a === s.key ? live.current.at(-1)?.key : a));
  }, []);

  const onChange = useCallback(
    (s: TerminalSession) => {
      if (s.refused) {
        setError(`Could not open a terminal in ${s.node}: ${s.refused}`);
        remove(s);
        return;
      }
      rerender();
    },
    [remove],
  );

  const open = useCallback(
    (at: string) => {
      if (!at) return;
      setError(undefined);
      const s = new TerminalSession(nextKey.current++, lab.name, at, socket, onChange);
      live.current = [...live.current, s];
      setSessions(live.current);
      setActive(s.key);
    },
    [lab.name, onChange, socket],
  );

  // Route the socket's terminal events to the sessions by id (each session chose its id before
  // asking for its shell, so output that comes before the ack finds its session too).
  useEffect(() => {
    const onOutput = (e: TerminalOutput, ack: () => void) => {
      const s = live.current.find((x) => x.id === e.id);
      if (s) s.output(e.data, ack);
      else ack(); // a terminal this page no longer shows
    };
    const onExit = (e: TerminalExit) => live.current.find((x) => x.id === e.id)?.exit(e);
    // The connection dropped: the server ended the shells; each says so and reopens once it is back.
    const onDisconnect = () => {
      for (const s of live.current) s.lost();
    };
    const onConnect = () => {
      for (const s of live.current) s.reopen();
    };
    socket.on('terminal:output', onOutput);
    socket.on('terminal:exit', onExit);
    socket.on('disconnect', onDisconnect);
    socket.on('connect', onConnect);
    return () => {
      socket.off('terminal:output', onOutput);
      socket.off('terminal:exit', onExit);
      socket.off('disconnect', onDisconnect);
      socket.off('connect', onConnect);
    };
  }, [socket]);

  // Another lab (or leaving the page): its shells end.
  useEffect(
    () => () => {
      for (const s of live.current) s.dispose();
      live.current = [];
      setSessions([]);
      setActive(undefined);
    },
    [lab.name],
  );

  // A node that left the lab: fall back to the first one.
  useEffect(() => {
    if (!nodes.includes(node)) setNode(nodes[0] ?? '');
  }, [nodes, node]);
  // The canvas selection proposes the node.
  useEffect(() => {
    if (props.node && nodes.includes(props.node)) setNode(props.node);
  }, [props.node, nodes]);
  // "Open a terminal in <node>" from the canvas: each new request opens one.
  const lastRequest = useRef(props.request);
  useEffect(() => {
    if (props.request === lastRequest.current) return;
    lastRequest.current = props.request;
    if (!props.node || !nodes.includes(props.node)) return;
    if (!applied) return setError(`Apply the lab first: ${props.node} has no shell until the lab runs.`);
    open(props.node);
  }, [props.request, props.node, nodes, applied, open]);

  const hint = !applied
    ? 'apply the lab first: terminals open in the running lab'
    : nodes.length === 0
      ? 'the lab has no netns or router node (hosts and bridges get no shell)'
      : undefined;
  const label = (s: TerminalSession) => {
    const same = sessions.filter((x) => x.node === s.node);
    const n = same.length > 1 ? ` (${same.indexOf(s) + 1})` : '';
    return `${s.node}${n}`;
  };

  return (
    <section className="pb-panel pb-terminal" data-testid="terminal-panel" aria-label="Terminals">
      <div className="pb-term-bar">
        <form
          className="pb-inline"
          onSubmit={(e) => {
            e.preventDefault();
            open(node);
          }}
        >
          <label htmlFor={`${uid}-node`} className="pb-term-label">
            Open terminal in
          </label>
          <select
            id={`${uid}-node`}
            data-testid="terminal-node"
            value={node}
            onChange={(e) => setNode(e.target.value)}
            disabled={nodes.length === 0}
          >
            {nodes.length === 0 && <option value="">(no node)</option>}
            {nodes.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          <button
            type="submit"
            className="pb-btn pb-btn-primary"
            data-testid="terminal-open"
            disabled={!applied || !node}
          >
            Open
          </button>
        </form>
        {hint && (
          <span className="pb-hint" data-testid="terminal-hint">
            {hint}
          </span>
        )}
        <div className="pb-term-tabs" role="tablist" aria-label="Open terminals">
          {sessions.map((s) => (
            <div
              key={s.key}
              className={`pb-term-tab ${s.state === 'ended' || s.state === 'lost' ? 'ended' : ''}`}
              data-testid="terminal-tab"
              data-node={s.node}
              data-state={s.state}
            >
              <button
                type="button"
                role="tab"
                aria-selected={s.key === active}
                onClick={() => setActive(s.key)}
                title={s.ended ?? `shell in ${s.node}`}
              >
                {label(s)}
                {s.state === 'opening' && <span className="pb-term-status"> opening…</span>}
                {s.state === 'lost' && (
                  <span className="pb-term-status" data-testid="terminal-lost">
                    {' '}
                    — disconnected, reopens when the server is back
                  </span>
                )}
                {s.ended && s.state === 'ended' && (
                  <span className="pb-term-status" data-testid="terminal-exit">
                    {' '}
                    — {s.ended}
                  </span>
                )}
              </button>
              <button
                type="button"
                className="pb-term-close"
                aria-label={`Close the terminal in ${s.node}`}
                title="Close (ends the shell and everything it started)"
                data-testid="terminal-close"
                onClick={() => remove(s)}
              >
                ×
              </button>
            </div>
          ))}
        </div>
      </div>
      {error && (
        <div className="pb-error" role="alert" data-testid="terminal-error">
          {error}
        </div>
      )}
      <div className="pb-term-screens">
        {sessions.map((s) => (
          <TerminalScreen key={s.key} session={s} active={s.key === active} />
        ))}
        {sessions.length === 0 && (
          <p className="pb-muted pb-term-empty">
            A terminal is a shell in a node's own sandbox (you are user <code>student</code>, with the node's network).
            Right-click a node on the canvas, or pick one above.
          </p>
        )}
      </div>
    </section>
  );
}
