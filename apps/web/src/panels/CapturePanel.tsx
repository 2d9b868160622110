// The capture panel: tcpdump on a node's interface (server side), decoded lines streamed over the live
// socket under an id chosen here (`capture:lines` batches, each acked: the server's flow control;
// `capture:status` each second), pcap over HTTP. Lines go to a ref as they arrive, shown once per frame, at most MAX_LINES; views: ./capture/.
import { plural } from '@patchbay/topology';
import type { CaptureLines, CaptureStartInput, CaptureStatus, LiveAck, Problem } from '@patchbay/protocol';
import type { Lab } from '@patchbay/topology';
import { useCallback, useDeferredValue, useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { client } from '../api/client';
import { liveSocket } from '../api/live';
import { newStreamId } from '../api/stream-id';
import {
  appendCapped,
  captureInterfaces,
  captureNodes,
  defaultIface,
  filterLines,
  pcapFilename,
  toViewLine,
  type ViewLine,
} from './capture-format';
import { CaptureForm } from './capture/CaptureForm';
import { CaptureLineList } from './capture/CaptureLineList';
import { CaptureError, CaptureStatusBar } from './capture/CaptureStatusBar';
import { zeroCounters, type Counters, type Session } from './capture/session';
import './panels.css';

/** Lines kept in the view; older ones are dropped (the pcap has them all, up to its ring). */
export const MAX_LINES = 5000;
const ACK_TIMEOUT_MS = 15_000;

interface View extends Counters {
  lines: readonly ViewLine[];
}

export function CapturePanel(props: { lab: Lab; applied: boolean; node?: string; iface?: string; request?: number }) {
  const { lab, applied } = props;
  const uid = useId();
  const nodes = useMemo(() => captureNodes(lab), [lab]);

  const initialNode = props.node && lab.nodes[props.node] ? props.node : (nodes[0]?.value ?? '');
  const [node, setNode] = useState(initialNode);
  const [iface, setIface] = useState(() => props.iface ?? (initialNode ? defaultIface(lab, initialNode) : 'any'));
  const [filter, setFilter] = useState('');
  const [linkHeaders, setLinkHeaders] = useState(false);

  const [session, setSession] = useState<Session | undefined>();
  const [info, setInfo] = useState<CaptureStatus | undefined>();
  const [error, setError] = useState<{ message: string; problems: Problem[] } | undefined>();
  const [paused, setPaused] = useState(false);
  const [search, setSearch] = useState('');
  const [downloading, setDownloading] = useState(false);
  const [view, setView] = useState<View>(() => ({ lines: [], ...zeroCounters() }));

  // A capture point chosen on the canvas: each new request prefills the form.
  const lastRequest = useRef(props.request);
  useEffect(() => {
    if (props.request === lastRequest.current) return;
    lastRequest.current = props.request;
    if (props.node && lab.nodes[props.node]) {
      setNode(props.node);
      setIface(props.iface ?? defaultIface(lab, props.node));
    }
  }, [props.request, props.node, props.iface, lab]);

  // A node that left the lab: fall back to the first one.
  useEffect(() => {
    if (node && lab.nodes[node]) return;
    const first = nodes[0]?.value ?? '';
    setNode(first);
    setIface(first ? defaultIface(lab, first) : 'any');
  }, [lab, nodes, node]);

  const ifaces = useMemo(() => {
    const list = node ? captureInterfaces(lab, node) : [{ value: 'any', label: 'any (all interfaces)' }];
    return iface && !list.some((o) => o.value === iface) ? [...list, { value: iface, label: iface }] : list;
  }, [lab, node, iface]);

  // The stream: refs written by the socket handlers, shown once per frame. `idRef` is the current
  // capture's id, chosen here before `capture:start` is sent (so its first lines, even those that
  // come before the ack, are known to be its own); `owned` holds every capture of this panel.
  const idRef = useRef<string | undefined>(undefined);
  const owned = useRef(new Set<string>());
  const linesRef = useRef<ViewLine[]>([]);
  const nextN = useRef(0);
  const counters = useRef<Counters>(zeroCounters());
  const pausedRef = useRef(false);
  const raf = useRef(0);

  const flush = useCallback(() => {
    raf.current = 0;
    setView({ lines: linesRef.current.slice(), ...counters.current });
  }, []);
  const schedule = useCallback(() => {
    if (!raf.current) raf.current = requestAnimationFrame(flush);
  }, [flush]);

  const take = useCallback(
    (lines: CaptureLines['lines']) => {
      const c = counters.current;
      c.received += lines.length;
      if (pausedRef.current) {
        c.pausedCount += lines.length;
        c.skippedTotal += lines.length;
      } else {
        const incoming = lines.map((l) => toViewLine(nextN.current++, l));
        c.droppedOldest += appendCapped(linesRef.current, incoming, MAX_LINES);
      }
      schedule();
    },
    [schedule],
  );

  useEffect(() => {
    const socket = liveSocket();
    const onLines = (e: CaptureLines, ack: () => void) => {
      if (e.id === idRef.current) {
        ack();
        counters.current.clientDropped = Math.max(counters.current.clientDropped, e.dropped);
        take(e.lines);
      } else if (owned.current.has(e.id)) {
        ack(); // an earlier capture of this panel, still draining
      }
      // Any other id is another panel's capture on this connection: its own handler acks it.
    };
    const onStatus = (s: CaptureStatus) => {
      if (s.id !== idRef.current) return;
      counters.current.clientDropped = Math.max(counters.current.clientDropped, s.dropped);
      setInfo(s);
      if (s.state === 'ended') setSession((cur) => (cur && cur.id === s.id ? { ...cur, stopping: false } : cur));
      schedule();
    };
    const onDisconnect = () => {
      if (!idRef.current) return;
      owned.current.clear();
      setSession((cur) => (cur && cur.id ? { ...cur, lost: true, stopping: false } : cur));
      setError({
        message: 'the connection to the server was lost; the capture ended (its pcap may still be listed for download)',
        problems: [],
      });
    };
    socket.on('capture:lines', onLines);
    socket.on('capture:status', onStatus);
    socket.on('disconnect', onDisconnect);
    return () => {
      socket.off('capture:lines', onLines);
      socket.off('capture:status', onStatus);
      socket.off('disconnect', onDisconnect);
      if (raf.current) cancelAnimationFrame(raf.current);
      raf.current = 0;
    };
  }, [take, schedule]);

  // Leave every capture of this panel when it goes away or the lab changes (the server ends a
  // capture when its last subscriber leaves).
  useEffect(
    () => () => {
      const socket = liveSocket();
      for (const id of owned.current) socket.emit('capture:unsubscribe', { id });
      owned.current.clear();
      idRef.current = undefined;
    },
    [lab.name],
  );

  const resetView = () => {
    linesRef.current = [];
    counters.current = zeroCounters();
    pausedRef.current = false;
    setPaused(false);
    flush();
  };

  const running = !!session && !session.lost && (session.starting || (!!session.id && info?.state !== 'ended'));
  const canStart = applied && !!node && !running;
  const hint = !applied ? 'apply the lab first' : !node ? 'the lab has no node' : undefined;

  const start = async (ev?: FormEvent) => {
    ev?.preventDefault();
    if (!canStart) return;
    const socket = liveSocket();
    // One capture at a time per panel: leave the previous one (it ends if no one else watches it).
    for (const id of owned.current) socket.emit('capture:unsubscribe', { id });
    owned.current.clear();
    idRef.current = undefined;
    resetView();
    setInfo(undefined);
    setError(undefined);
    const f = filter.trim();
    const id = newStreamId();
    const payload: CaptureStartInput = {
      id,
      lab: lab.name,
      node,
      interface: iface || 'any',
      linkHeaders,
      ...(f ? { filter: f } : {}),
    };
    idRef.current = id;
    owned.current.add(id);
    setSession({
      id,
      lab: lab.name,
      node,
      iface: payload.interface ?? 'any',
      starting: true,
      stopping: false,
      lost: false,
    });
    const refused = (message: string, problems: Problem[] = []) => {
      owned.current.delete(id);
      if (idRef.current === id) idRef.current = undefined;
      setSession((cur) => (cur?.id === id ? undefined : cur));
      setError({ message, problems });
    };
    try {
      // socket.io types an ack that has a timeout as `any`; the contract says LiveAck.
      const ack = (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('capture:start', payload)) as LiveAck;
      if (!ack.ok) return refused(ack.error, ack.problems);
      setSession((cur) => (cur?.id === id ? { ...cur, starting: false } : cur));
    } catch {
      refused(
        socket.connected
          ? 'the server did not answer the capture request in time'
          : 'not connected to the Patchbay server: is it running?',
      );
    }
  };

  const stop = () => {
    const id = idRef.current;
    if (!id) return;
    liveSocket().emit('capture:stop', { id });
    setSession((cur) => (cur && cur.id === id ? { ...cur, stopping: true } : cur));
  };

  const togglePause = () => {
    const next = !pausedRef.current;
    pausedRef.current = next;
    if (!next) counters.current.pausedCount = 0;
    setPaused(next);
    flush();
  };

  const clear = () => {
    linesRef.current = [];
    const c = counters.current;
    counters.current = { ...zeroCounters(), clientDropped: c.clientDropped, received: c.received };
    flush();
  };

  const download = async () => {
    if (!info) return;
    setDownloading(true);
    try {
      const blob = await client.call('capturePcap', { params: { name: info.lab, id: info.id } });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = pcapFilename(info.lab, info.node, info.interface);
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError({ message: e instanceof Error ? e.message : 'the pcap download failed', problems: [] });
    } finally {
      setDownloading(false);
    }
  };

  // Search over what is shown; deferred so typing stays responsive with 5000 lines.
  const query = useDeferredValue(search);
  const shown = useMemo(() => filterLines(view.lines, query), [view.lines, query]);

  const ids = {
    node: `${uid}-node`,
    iface: `${uid}-iface`,
    filter: `${uid}-filter`,
    e: `${uid}-e`,
    search: `${uid}-search`,
    hint: `${uid}-hint`,
  };

  return (
    <section className="pb-panel pb-capture" data-testid="capture-panel" aria-label="Packet capture">
      <CaptureForm
        ids={ids}
        nodes={nodes}
        ifaces={ifaces}
        node={node}
        iface={iface}
        filter={filter}
        linkHeaders={linkHeaders}
        onNode={(n) => {
          setNode(n);
          setIface(defaultIface(lab, n));
        }}
        onIface={setIface}
        onFilter={setFilter}
        onLinkHeaders={setLinkHeaders}
        session={session}
        running={running}
        canStart={canStart}
        hint={hint}
        onStart={(e) => void start(e)}
        onStop={stop}
      />

      {error && <CaptureError error={error} />}

      {session && (
        <CaptureStatusBar session={session} info={info} running={running} clientDropped={view.clientDropped} />
      )}

      <div className="pb-cap-toolbar">
        <button
          type="button"
          className="pb-btn"
          data-testid="capture-pause"
          aria-pressed={paused}
          onClick={togglePause}
          disabled={!session}
        >
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button
          type="button"
          className="pb-btn"
          data-testid="capture-clear"
          onClick={clear}
          disabled={view.lines.length === 0 && view.droppedOldest === 0 && view.skippedTotal === 0}
        >
          Clear
        </button>
        <label htmlFor={ids.search} className="pb-sr-only">
          Search lines
        </label>
        <input
          id={ids.search}
          data-testid="capture-search"
          type="search"
          placeholder="search"
          autoComplete="off"
          spellCheck={false}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && search) {
              e.stopPropagation();
              setSearch('');
            }
          }}
        />
        <span className="pb-muted" data-testid="capture-count" aria-live="off">
          {query.trim() ? `${shown.length} of ${view.lines.length}` : plural(view.lines.length, 'line')}
        </span>
        <button
          type="button"
          className="pb-btn"
          data-testid="capture-download"
          disabled={!info?.download || downloading}
          onClick={() => void download()}
        >
          {downloading ? 'Downloading…' : 'Download pcap'}
        </button>
      </div>

      {(paused || view.skippedTotal > 0 || view.droppedOldest > 0) && (
        <div className="pb-notes" data-testid="capture-notes">
          {paused && (
            <span className="pb-warn-text">
              Paused: {view.pausedCount} new {view.pausedCount === 1 ? 'line' : 'lines'} arrived and{' '}
              {view.pausedCount === 1 ? 'is' : 'are'} not shown.
            </span>
          )}
          {!paused && view.skippedTotal > 0 && (
            <span className="pb-muted">{view.skippedTotal} lines were skipped while paused.</span>
          )}
          {view.droppedOldest > 0 && (
            <span className="pb-muted">
              The oldest {view.droppedOldest} lines were removed from the view (it keeps {MAX_LINES}); the pcap has
              them.
            </span>
          )}
        </div>
      )}

      <CaptureLineList shown={shown} query={query} total={view.lines.length} waiting={!!session?.id && running} />
    </section>
  );
}
