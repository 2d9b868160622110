// The editor page: toolbar, palette, canvas, inspector, and the bottom panels (apply result, ping,
// capture, kernel tables). It talks to the server only through api/ (REST) and the live socket.
import type { ApplyResponse } from '@patchbay/protocol';
import { labToYaml, parseLabText, type Lab, type NodeKind } from '@patchbay/topology';
import { useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { parse as parseYaml } from 'yaml';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { api, ApiError } from './api/http';
import { ApplyDialog, type ApplyOutcome } from './components/ApplyDialog';
import { Canvas } from './components/Canvas';
import { Inspector } from './components/Inspector';
import { OpenDialog, type OpenChoice } from './components/OpenDialog';
import { Palette } from './components/Palette';
import { handOver, looksLikeScenario } from './author/handoff';
import { useAutosave, useShortcuts } from './hooks';
import { addNode, emptyLab } from './model/lab-edit';
import { autoLayout, freeSpot, NODE_HEIGHT, NODE_WIDTH } from './model/layout';
import { marksFor } from './model/marks';
import { CapturePanel } from './panels/CapturePanel';
import { PingPanel } from './panels/PingPanel';
import { TablesPanel } from './panels/TablesPanel';
import { TerminalPanel } from './panels/TerminalPanel';
import { navigate } from './routes';
import { createEditorStore, type XY } from './store/editor';
import { createLiveStore } from './store/live';

type Tab = 'result' | 'ping' | 'capture' | 'tables' | 'terminal';
const LAST_LAB = 'patchbay.lastLab';

function download(name: string, text: string, type = 'text/plain') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function App() {
  const store = useMemo(() => createEditorStore(), []);
  const live = useMemo(() => createLiveStore(), []);
  const { lab, selected, problems, canUndo, canRedo } = useStore(
    store,
    useShallow((s) => ({ lab: s.lab, selected: s.selected, problems: s.problems, canUndo: s.past.length > 0, canRedo: s.future.length > 0 })),
  );
  const liveState = useStore(live, useShallow((s) => ({ connected: s.connected, subscribed: s.subscribed, error: s.error })));
  const [applied, setApplied] = useState(false);
  const [dialog, setDialog] = useState<'apply' | 'open' | undefined>();
  const [tab, setTab] = useState<Tab>('result');
  const [lastApply, setLastApply] = useState<ApplyResponse>();
  const [notice, setNotice] = useState<{ kind: 'error' | 'info'; text: string }>();
  const [capturePoint, setCapturePoint] = useState<{ node?: string; iface?: string; request: number }>({ request: 0 });
  const [pingFrom, setPingFrom] = useState<string>();
  const [terminalAt, setTerminalAt] = useState<{ node?: string; request: number }>({ request: 0 });
  const { save, saveNow } = useAutosave(store);
  const flow = useReactFlow();
  const selectedNode = selected.nodes.length === 1 ? selected.nodes[0] : undefined;

  const fail = (e: unknown) => setNotice({ kind: 'error', text: e instanceof ApiError ? e.message : String(e) });

  /** Whether the lab runs on the server; if so, its live tables are watched. */
  const refreshApplied = useCallback(
    async (name: string) => {
      try {
        const { labs } = await api.labs();
        const running = labs.some((l) => l.name === name && l.revision > 0);
        setApplied(running);
        live.getState().watch(running ? name : undefined);
      } catch (e) {
        fail(e);
      }
    },
    [live],
  );

  const openLab = useCallback(
    async (c: OpenChoice) => {
      setDialog(undefined);
      setNotice(undefined);
      setLastApply(undefined);
      let next: Lab | undefined;
      let positions: Record<string, XY> | undefined;
      try {
        if (c.from === 'new') next = emptyLab(c.name);
        else if (c.from === 'draft') {
          next = c.draft.document as Lab;
          positions = c.draft.layout?.positions;
        } else if (c.from === 'lab') {
          next = await api.lab(c.name);
          positions = await api.draft(c.name).then((d) => d.layout?.positions, () => undefined);
        } else {
          // A scenario file opens in the authoring page, not as a lab.
          if (c.from === 'file' && looksLikeScenario(c.text)) {
            handOver(sessionStorage, { kind: 'scenario', name: c.name, text: c.text });
            return navigate('/author');
          }
          const text = c.from === 'example' ? c.example.text : c.text;
          const parsed = parseLabText(text);
          if (parsed.lab) next = parsed.lab;
          else {
            // A file with problems still opens, so they can be fixed on the canvas.
            const raw: unknown = c.from === 'file' && c.name.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
            if (!raw || typeof raw !== 'object' || !('nodes' in raw)) throw new Error(`not a lab file: ${parsed.problems[0]?.message ?? 'no nodes'}`);
            next = { ...(raw as Lab), links: (raw as Lab).links ?? [] };
          }
        }
      } catch (e) {
        return fail(e);
      }
      store.getState().load(next, positions && Object.keys(positions).length ? positions : autoLayout(next));
      store.getState().fit();
      localStorage.setItem(LAST_LAB, next.name);
      window.history.replaceState(null, '', `#lab=${encodeURIComponent(next.name)}`);
      await refreshApplied(next.name);
    },
    [store, refreshApplied],
  );

  // At start: the lab in the address, else the last one opened (its draft, else the running lab).
  useEffect(() => {
    const fromHash = new URLSearchParams(window.location.hash.slice(1)).get('lab');
    const name = fromHash ?? localStorage.getItem(LAST_LAB);
    if (!name) return void setDialog('open');
    void (async () => {
      const draft = await api.draft(name).catch(() => undefined);
      if (draft) return openLab({ from: 'draft', draft });
      const running = await api.lab(name).then(
        () => true,
        () => false,
      );
      return openLab(running ? { from: 'lab', name } : { from: 'new', name });
    })();
  }, [openLab]);

  const onApplied = (o: ApplyOutcome) => {
    const current = store.getState().lab;
    if (o.result) {
      setLastApply(o.result);
      store.getState().setMarks(marksFor(current, o.result.ops));
      setApplied(true);
      live.getState().watch(current.name);
      setTab('result');
    } else if (o.error?.failure) {
      store.getState().setMarks(marksFor(current, [], o.error.failure));
    }
  };

  const destroy = async () => {
    if (!window.confirm(`Destroy lab ${lab.name}? Its namespaces and everything in them go away; the drawing stays.`)) return;
    try {
      await api.destroy(lab.name);
      setApplied(false);
      live.getState().watch(undefined);
      store.getState().setMarks({});
      setNotice({ kind: 'info', text: `lab ${lab.name} destroyed` });
    } catch (e) {
      fail(e);
    }
  };

  /** Opens /author with this lab (handed over in sessionStorage, with where its nodes are). */
  const makeExercise = () => {
    handOver(sessionStorage, { kind: 'lab', lab, positions: store.getState().positions });
    navigate('/author');
  };

  const exportScript = async () => {
    try {
      download(`${lab.name}.sh`, (await api.script(lab)).script);
    } catch (e) {
      fail(e);
    }
  };

  useShortcuts(store, { apply: () => setDialog('apply'), open: () => setDialog('open'), save: () => void saveNow() }, dialog === undefined);

  const addFromPalette = (kind: NodeKind) => {
    const before = store.getState().lab;
    const next = addNode(before, kind);
    const name = Object.keys(next.nodes).find((n) => !Object.hasOwn(before.nodes, n))!;
    // In the middle of what the canvas shows, where no other node is.
    const box = document.querySelector('.pb-canvas')?.getBoundingClientRect();
    const c = box ? flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 }) : { x: 200, y: 200 };
    const at = freeSpot(store.getState().positions, { x: c.x - NODE_WIDTH / 2, y: c.y - NODE_HEIGHT / 2 });
    store.getState().edit(() => next, { ...store.getState().positions, [name]: at });
    store.getState().select([name], []);
  };

  return (
    <div className="pb-app">
        <header className="pb-toolbar" role="toolbar" aria-label="Lab">
          <strong className="pb-brand">Patchbay</strong>
          <span className="pb-labname" data-testid="lab-name">
            {lab.name}
          </span>
          <span className={`badge ${applied ? 'ok' : ''}`} data-testid="lab-status">
            {applied ? 'running' : 'not applied'}
          </span>
          <button type="button" onClick={() => setDialog('open')} title="Open or create a lab (Ctrl+O)" data-testid="open">
            Open…
          </button>
          <button type="button" onClick={() => store.getState().undo()} disabled={!canUndo} title="Undo (Ctrl+Z)" data-testid="undo">
            Undo
          </button>
          <button type="button" onClick={() => store.getState().redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)" data-testid="redo">
            Redo
          </button>
          <button type="button" onClick={() => {
              store.getState().edit((l) => l, autoLayout(store.getState().lab));
              store.getState().fit();
            }} title="Arrange the nodes automatically" data-testid="auto-layout">
            Arrange
          </button>
          <button type="button" onClick={() => download(`${lab.name}.yaml`, labToYaml(lab), 'application/yaml')} title="Download the lab file (YAML)" data-testid="export-yaml">
            Export YAML
          </button>
          <button type="button" onClick={() => void exportScript()} title="Download the ip/bridge/iptables script that builds this lab" data-testid="export-script">
            Export script
          </button>
          <button type="button" onClick={makeExercise} title="Turn this lab into an exercise: instructions, checks, hints, solution" data-testid="make-exercise">
            Make exercise
          </button>
          <a href="/class" className="pb-toolbar-link" title="Class sessions: start an exercise for a class, follow the students" data-testid="class-link">
            Class
          </a>
          <span className="pb-spacer" />
          <span className="pb-save" data-testid="save-state" title={save.state === 'error' ? save.message : 'drafts are saved on the server as you draw'}>
            {save.state === 'pending' ? 'unsaved…' : save.state === 'saving' ? 'saving…' : save.state === 'saved' ? 'saved' : save.state === 'error' ? 'not saved!' : ''}
          </span>
          <span className={`pb-dot ${liveState.connected ? 'ok' : 'off'}`} title={liveState.connected ? 'live updates connected' : (liveState.error ?? 'live updates disconnected')} data-testid="live-status" />
          <button type="button" className="danger" onClick={() => void destroy()} disabled={!applied} data-testid="destroy">
            Destroy
          </button>
          <button type="button" className="primary" onClick={() => setDialog('apply')} disabled={problems.length > 0} title={problems.length ? 'fix the problems first (see the inspector)' : 'Apply (Ctrl+Enter)'} data-testid="apply">
            Apply{problems.length ? ` (${problems.length} problem${problems.length === 1 ? '' : 's'})` : ''}
          </button>
        </header>
        {notice && (
          <div className={`pb-notice ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'} data-testid="notice">
            {notice.text}
            <button type="button" onClick={() => setNotice(undefined)} aria-label="Dismiss">
              ×
            </button>
          </div>
        )}
        {!liveState.connected && liveState.error && (
          <div className="pb-notice error" role="alert" data-testid="live-error">
            {liveState.error} — drawing and applying still work; live tables, pings and captures wait for the connection.
          </div>
        )}
        <main className="pb-main">
          <Palette onAdd={addFromPalette} />
          <Canvas
            store={store}
            live={live}
            actions={{
              onCapture: (node, iface) => {
                setCapturePoint((p) => ({ ...(node ? { node } : {}), ...(iface ? { iface } : {}), request: p.request + 1 }));
                setTab('capture');
              },
              onPing: (node) => {
                setPingFrom(node);
                setTab('ping');
              },
              onTerminal: (node) => {
                setTerminalAt((t) => ({ node, request: t.request + 1 }));
                setTab('terminal');
              },
            }}
          />
          <Inspector store={store} />
        </main>
        <section className="pb-bottom" aria-label="Panels">
          <div className="pb-tabs" role="tablist">
            {(['result', 'ping', 'capture', 'tables', 'terminal'] as const).map((t) => (
              <button key={t} role="tab" aria-selected={tab === t} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
                {{ result: 'Apply result', ping: 'Ping', capture: 'Capture', tables: 'Kernel tables', terminal: 'Terminal' }[t]}
              </button>
            ))}
          </div>
          <div className="pb-tab-body">
            {tab === 'result' &&
              (lastApply ? (
                <ol className="pb-ops">
                  {lastApply.ops.length === 0 && <li>Nothing to do: the kernel already matched.</li>}
                  {lastApply.ops.map((op, i) => (
                    <li key={i}>
                      <span className="pb-op-reason">{op.reason}</span> <code className="mono">{op.command}</code>
                    </li>
                  ))}
                </ol>
              ) : (
                <p className="pb-muted">Apply the lab (Ctrl+Enter) to realize it in the kernel; only what differs is changed.</p>
              ))}
            {/* Panels stay mounted when another tab is shown: a capture, a ping or a terminal keeps running. */}
            <div hidden={tab !== 'ping'}>
              <PingPanel lab={lab} applied={applied} {...((pingFrom ?? selectedNode) ? { node: pingFrom ?? selectedNode } : {})} />
            </div>
            <div hidden={tab !== 'capture'}>
              <CapturePanel
                lab={lab}
                applied={applied}
                {...((capturePoint.node ?? selectedNode) ? { node: capturePoint.node ?? selectedNode } : {})}
                {...(capturePoint.iface ? { iface: capturePoint.iface } : {})}
                request={capturePoint.request}
              />
            </div>
            <div hidden={tab !== 'terminal'} className="pb-tab-fill">
              <TerminalPanel
                lab={lab}
                applied={applied}
                {...((terminalAt.node ?? selectedNode) ? { node: terminalAt.node ?? selectedNode } : {})}
                request={terminalAt.request}
              />
            </div>
            {tab === 'tables' && <TablesPanel live={live} lab={lab} {...(selectedNode ? { node: selectedNode } : {})} />}
          </div>
        </section>
        {dialog === 'apply' && <ApplyDialog lab={lab} onClose={() => setDialog(undefined)} onApplied={onApplied} />}
        {dialog === 'open' && <OpenDialog onOpen={(c) => void openLab(c)} onClose={() => setDialog(undefined)} />}
    </div>
  );
}
