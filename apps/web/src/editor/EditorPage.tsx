// The editor page: toolbar, palette, canvas, inspector, and the bottom panels (apply result, ping,
// capture, kernel tables, terminal). It holds the page's state and wires the parts together; it
// talks to the server only through api/ (REST) and the live socket.
import type { ApplyResponse, LabStudent } from '@patchbay/protocol';
import { labToYaml, type NodeKind } from '@patchbay/topology';
import { useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { ApiError, client } from '../api/client';
import { handOver } from '../author/handoff';
import { ApplyDialog, type ApplyOutcome } from '../components/ApplyDialog';
import { Canvas } from '../components/Canvas';
import { Inspector } from '../components/Inspector';
import { OpenDialog, type OpenChoice } from '../components/OpenDialog';
import { Palette } from '../components/Palette';
import { addService, endpointCandidates } from '../model/service-edit';
import { downloadText } from '../download';
import { labFileName, labScriptFileName } from '../export-names';
import { addNode, emptyLab } from '../model/lab-edit';
import { autoLayout, freeSpot, NODE_HEIGHT, NODE_WIDTH } from '../model/layout';
import { marksFor } from '../model/marks';
import { navigate } from '../routes';
import { createEditorStore } from '../store/editor';
import { createLiveStore } from '../store/live';
import { BottomPanels, type PanelTab } from './BottomPanels';
import { connectionNotice } from './access';
import { EditorToolbar } from './EditorToolbar';
import { useAutosave, useShortcuts } from './hooks';
import { hashForLab, labFromHash } from './lab-address';
import { openChoice, type Opened } from './open-lab';
import { studentLabLabel, studentLabWarning } from './student-lab';
import { useWhyDialog } from '../why/useWhyDialog';

const LAST_LAB = 'patchbay.lastLab';

/** `hasToken`: the instructor's token is here; without it only drawing and exporting work (editor/access.ts). */
export function EditorPage({ hasToken = true }: { hasToken?: boolean }) {
  const store = useMemo(() => createEditorStore(), []);
  const live = useMemo(() => createLiveStore(), []);
  const { lab, selected, problems, canUndo, canRedo } = useStore(
    store,
    useShallow((s) => ({
      lab: s.lab,
      selected: s.selected,
      problems: s.problems,
      canUndo: s.past.length > 0,
      canRedo: s.future.length > 0,
    })),
  );
  const liveState = useStore(
    live,
    useShallow((s) => ({ connected: s.connected, subscribed: s.subscribed, error: s.error })),
  );
  const [applied, setApplied] = useState(false);
  /** A lab was opened (until then the address's `#lab=` is what to open, not something to overwrite). */
  const [opened, setOpened] = useState(false);
  /** The open lab's student, when it is a class session's student lab (warned about before Apply and Destroy). */
  const [student, setStudent] = useState<LabStudent>();
  const [dialog, setDialog] = useState<'apply' | 'open' | undefined>();
  const [tab, setTab] = useState<PanelTab>('result');
  const [lastApply, setLastApply] = useState<ApplyResponse>();
  const [notice, setNotice] = useState<{ kind: 'error' | 'info'; text: string }>();
  const [capturePoint, setCapturePoint] = useState<{ node?: string; iface?: string; request: number }>({ request: 0 });
  const [pingFrom, setPingFrom] = useState<string>();
  const [terminalAt, setTerminalAt] = useState<{ node?: string; request: number }>({ request: 0 });
  const { save, saveNow } = useAutosave(store);
  const flow = useReactFlow();
  const selectedNode = selected.nodes.length === 1 ? selected.nodes[0] : undefined;
  const why = useWhyDialog({ lab, client, store, onAnswered: () => setTab('why') });

  const fail = (e: unknown) => setNotice({ kind: 'error', text: e instanceof ApiError ? e.message : String(e) });

  /** Whether the lab runs on the server; if so, its live tables are watched. */
  const refreshApplied = useCallback(
    async (name: string) => {
      try {
        const { labs } = await client.call('listLabs');
        const summary = labs.find((l) => l.name === name);
        const running = summary !== undefined && summary.revision > 0;
        setApplied(running);
        setStudent(summary?.student);
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
      setStudent(undefined);
      let opened: Opened;
      try {
        opened = await openChoice(c);
      } catch (e) {
        return fail(e);
      }
      if ('handedOverToAuthor' in opened) return navigate('/author');
      const { lab: next, positions } = opened;
      store.getState().load(next, positions && Object.keys(positions).length ? positions : autoLayout(next));
      store.getState().fit();
      setOpened(true);
      localStorage.setItem(LAST_LAB, next.name);
      if (hasToken) await refreshApplied(next.name);
    },
    [store, refreshApplied, hasToken],
  );

  /** Opens the lab called `name`: its draft, else the running lab, else a new one of that name. */
  const openByName = useCallback(
    async (name: string) => {
      if (!hasToken) return openLab({ from: 'new', name });
      const draft = await client.call('getDraft', { params: { name } }).catch(() => undefined);
      if (draft) return openLab({ from: 'draft', draft });
      const running = await client.call('getLab', { params: { name } }).then(
        () => true,
        () => false,
      );
      return openLab(running ? { from: 'lab', name } : { from: 'new', name });
    },
    [openLab, hasToken],
  );

  // At start: the lab in the address, else the last one opened. Without a token the Open dialog
  // could list nothing: a new lab to draw in instead.
  useEffect(() => {
    const name = labFromHash(window.location.hash) ?? localStorage.getItem(LAST_LAB) ?? undefined;
    if (name) void openByName(name);
    else if (hasToken) setDialog('open');
    else void openLab({ from: 'new', name: emptyLab().name });
  }, [openByName, openLab, hasToken]);

  // The address names the open lab (rewritten, no history entry, when a lab opens or is renamed);
  // a new `#lab=` (a link followed, an address typed) opens that lab.
  useEffect(() => {
    if (!opened || labFromHash(window.location.hash) === lab.name) return;
    const { pathname, search, hash } = window.location;
    window.history.replaceState(window.history.state, '', pathname + search + hashForLab(hash, lab.name));
    localStorage.setItem(LAST_LAB, lab.name);
  }, [opened, lab.name]);
  useEffect(() => {
    const onHash = () => {
      const name = labFromHash(window.location.hash);
      if (name && name !== store.getState().lab.name) void openByName(name);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [openByName, store]);

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
    const whose = student ? `${studentLabWarning(student, 'destroy')}\n\n` : '';
    if (
      !window.confirm(
        `${whose}Destroy lab ${lab.name}? Its namespaces and everything in them go away; the drawing stays.`,
      )
    )
      return;
    try {
      await client.call('destroyLab', { params: { name: lab.name } });
      setApplied(false);
      live.getState().watch(undefined);
      store.getState().setMarks({});
      store.getState().showWhy(undefined);
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
      downloadText(labScriptFileName(lab.name), (await client.call('labScript', { body: lab })).script);
    } catch (e) {
      fail(e);
    }
  };

  useShortcuts(
    store,
    { apply: () => setDialog('apply'), open: () => setDialog('open'), save: () => void saveNow() },
    dialog === undefined,
  );

  const addFromPalette = (kind: NodeKind) => {
    const before = store.getState().lab;
    const next = addNode(before, kind);
    const name = Object.keys(next.nodes).find((n) => !Object.hasOwn(before.nodes, n))!;
    // In the middle of what the canvas shows, where no other node is.
    const box = document.querySelector('.pb-canvas')?.getBoundingClientRect();
    const c = box
      ? flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 })
      : { x: 200, y: 200 };
    const at = freeSpot(store.getState().positions, { x: c.x - NODE_WIDTH / 2, y: c.y - NODE_HEIGHT / 2 });
    store.getState().edit(() => next, { ...store.getState().positions, [name]: at });
    store.getState().select([name], []);
  };
  // A Service with the selected nodes (pods) as its endpoints, beside them.
  const addServiceFromPalette = () => {
    const { lab, selected, positions } = store.getState();
    const pods = selected.nodes.filter((n) => endpointCandidates(lab).includes(n));
    const { lab: next, id } = addService(lab, pods);
    const near = positions[pods[0] ?? ''] ?? { x: 200, y: 200 };
    const at = freeSpot(positions, { x: near.x, y: near.y - NODE_HEIGHT * 2 });
    store.getState().edit(() => next, { ...positions, [id]: at });
    store.getState().select([id], []);
  };

  return (
    <div className="pb-app">
      <EditorToolbar
        labName={lab.name}
        owner={student && studentLabLabel(student)}
        applied={applied}
        canUndo={canUndo}
        canRedo={canRedo}
        problemCount={problems.length}
        save={save}
        live={liveState}
        onOpen={() => setDialog('open')}
        onUndo={() => store.getState().undo()}
        onRedo={() => store.getState().redo()}
        onArrange={() => {
          store.getState().edit((l) => l, autoLayout(store.getState().lab));
          store.getState().fit();
        }}
        onExportYaml={() => downloadText(labFileName(lab.name), labToYaml(lab), 'application/yaml')}
        onExportScript={() => void exportScript()}
        onMakeExercise={makeExercise}
        onDestroy={() => void destroy()}
        onApply={() => setDialog('apply')}
      />
      {notice && (
        <div
          className={`pb-notice ${notice.kind}`}
          role={notice.kind === 'error' ? 'alert' : 'status'}
          data-testid="notice"
        >
          {notice.text}
          <button type="button" onClick={() => setNotice(undefined)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      {(!hasToken || (!liveState.connected && liveState.error)) && (
        <div className="pb-notice error" role="alert" data-testid="live-error">
          {connectionNotice(hasToken, liveState.error)}
        </div>
      )}
      <main className="pb-main">
        <Palette onAdd={addFromPalette} onAddService={addServiceFromPalette} />
        <Canvas
          store={store}
          live={live}
          actions={{
            onCapture: (node, iface) => {
              setCapturePoint((p) => ({
                ...(node ? { node } : {}),
                ...(iface ? { iface } : {}),
                request: p.request + 1,
              }));
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
            ...(applied ? { onWhy: (from: string) => why.open({ from }) } : {}),
          }}
        />
        <Inspector store={store} live={live} />
      </main>
      <BottomPanels
        tab={tab}
        onTab={setTab}
        lab={lab}
        applied={applied}
        live={live}
        lastApply={lastApply}
        selectedNode={selectedNode}
        targets={{ pingFrom, capture: capturePoint, terminal: terminalAt }}
        why={{ store, ask: why.open }}
      />
      {why.dialog}
      {dialog === 'apply' && (
        <ApplyDialog
          lab={lab}
          warning={student && studentLabWarning(student, 'apply')}
          onClose={() => setDialog(undefined)}
          onApplied={onApplied}
        />
      )}
      {dialog === 'open' && <OpenDialog onOpen={(c) => void openLab(c)} onClose={() => setDialog(undefined)} />}
    </div>
  );
}
