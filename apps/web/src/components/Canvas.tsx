// The drawing: React Flow, controlled by the editor store (the document and layout are the truth;
// React Flow's nodes and edges are derived from them). Drag from the palette to add a node, drag
// from a node's handle to another node to connect them with a veth pair, right-click a node or a
// link end for captures and pings.
import {
  applyNodeChanges,
  Background,
  ConnectionMode,
  Controls,
  getNodesBounds,
  getViewportForBounds,
  MiniMap,
  ReactFlow,
  useReactFlow,
  useStore as useFlowStore,
  type Connection,
  type EdgeChange,
  type NodeChange,
} from '@xyflow/react';
import type { NodeKind } from '@patchbay/topology';
import {
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type DragEvent,
  type MouseEvent,
  type RefObject,
} from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { addNode, bridgesOnDifferentHosts, connect, joinOverlay, linkId, nextVni } from '../model/lab-edit';
import { addMacvlan, hostInterfaces, macvlanCandidate } from '../model/macvlan-edit';
import { freeSpot, NODE_HEIGHT, NODE_WIDTH } from '../model/layout';
import { toFlow, type FlowEdge, type FlowNode } from '../model/graph';
import type { EditorStore, XY } from '../store/editor';
import type { LiveStore } from '../store/live';
import { linkMenuItems, nodeMenuItems, type CanvasActions } from './canvas-menus';
import { ContextMenu, type MenuItem } from './ContextMenu';
import { EditorContext } from './editor-context';
import { CompactLinks } from './CompactLinks';
import { LabNode, zoomedOut } from './LabNode';
import { HostedEdge, LinkEdge, MacvlanEdge, OverlayEdge } from './LinkEdge';
import { ServiceEndpointEdge, ServiceNode } from './ServiceNode';
import { isServiceId, serviceNameOf, toggleEndpoint } from '../model/service-edit';

const nodeTypes = { lab: LabNode, service: ServiceNode };

/** The minimap's size, and the smallest canvas that shows it (below, it would hide a good part of the lab). */
const MINIMAP = { width: 160, height: 110 };
export function showsMinimap(canvas: { width: number; height: number } | undefined): boolean {
  return canvas !== undefined && canvas.width >= 4 * MINIMAP.width && canvas.height >= 3.5 * MINIMAP.height;
}

/** A node on the minimap, coloured like its kind on the canvas (a bit darker, to show at that size). */
const MINIMAP_COLORS: Record<string, string> = {
  bridge: '#86efac',
  router: '#fde047',
  host: '#93c5fd',
  netns: '#cbd5e1',
};
const minimapColor = (n: FlowNode) => (n.type === 'service' ? '#c4b5fd' : (MINIMAP_COLORS[n.data.kind] ?? '#cbd5e1'));
const edgeTypes = {
  link: LinkEdge,
  overlay: OverlayEdge,
  hosted: HostedEdge,
  macvlan: MacvlanEdge,
  serviceEndpoint: ServiceEndpointEdge,
};
export const PALETTE_MIME = 'application/x-patchbay-kind';
export type { CanvasActions } from './canvas-menus';

// Props given to React Flow as constants: a new array or object at each render makes its memoized
// views (the graph view, every node and edge wrapper) render again (bench:web).
const MULTI_SELECTION_KEYS = ['Meta', 'Control', 'Shift'];
const DEFAULT_VIEWPORT = { x: 0, y: 0, zoom: 1 };
const PRO_OPTIONS = { hideAttribution: true };
const isValidConnection = (c: { source: string; target: string }) => c.source !== c.target;
const NO_EDGES: FlowEdge[] = [];
const MIN_ZOOM = 0.1;

type AnyEdge = FlowEdge;

/** The element's size, kept current as it is resized. */
function useElementSize(ref: RefObject<HTMLElement | null>): { width: number; height: number } | undefined {
  const [size, setSize] = useState<{ width: number; height: number }>();
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      const r = el.getBoundingClientRect();
      setSize((s) => (s && s.width === r.width && s.height === r.height ? s : { width: r.width, height: r.height }));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}

/** Reuses the previous object of a node or edge whose content did not change, so memoized views skip rendering. */
function stabilize<T extends { id: string }>(prev: Map<string, { key: string; item: T }>, items: T[]): T[] {
  const next = new Map<string, { key: string; item: T }>();
  const out = items.map((item) => {
    const key = JSON.stringify(item);
    const old = prev.get(item.id);
    const kept = old && old.key === key ? old.item : item;
    next.set(item.id, { key, item: kept });
    return kept;
  });
  prev.clear();
  for (const [k, v] of next) prev.set(k, v);
  return out;
}

/**
 * `readOnly`: the lab is shown, not drawn (an exercise page): nodes move, but nothing is added or connected.
 * `fitPadding`: the margin left around the drawing when the view is fitted to it (a fraction of the view).
 */
export function Canvas({
  store,
  live,
  actions,
  readOnly = false,
  fitPadding = 0.15,
}: {
  store: EditorStore;
  live: LiveStore;
  actions: CanvasActions;
  readOnly?: boolean;
  fitPadding?: number;
}) {
  const { lab, positions, selected, problems, marks } = useStore(
    store,
    useShallow((s) => ({
      lab: s.lab,
      positions: s.positions,
      selected: s.selected,
      problems: s.problems,
      marks: s.marks,
    })),
  );
  const liveState = useStore(
    live,
    useShallow((s) => ({
      nodes: s.nodes,
      bridges: s.bridges,
      changedAt: s.changedAt,
      rates: s.rates,
      subscribed: s.subscribed,
    })),
  );
  const flow = useReactFlow();
  const canvasRef = useRef<HTMLDivElement>(null);
  const size = useElementSize(canvasRef);
  const nodeCache = useRef(new Map<string, { key: string; item: FlowNode }>());
  const edgeCache = useRef(new Map<string, { key: string; item: AnyEdge }>());
  const dragStart = useRef<Record<string, XY>>({});
  const [menu, setMenu] = useState<{ x: number; y: number; at?: number; items: MenuItem[] } | undefined>();
  // Re-render once the "changed" highlight of live deltas has expired.
  const [, setTick] = useState(0);
  useEffect(() => {
    const t = setTimeout(() => setTick((n) => n + 1), 1600);
    return () => clearTimeout(t);
  }, [liveState.changedAt]);

  const { nodes, edges } = useMemo(() => {
    const g = toFlow({
      lab,
      positions,
      selected,
      problemPaths: problems.map((p) => p.path),
      ...(liveState.subscribed ? { live: liveState } : {}),
      marks,
    });
    return {
      nodes: stabilize(nodeCache.current, [...g.nodes, ...g.services]),
      edges: stabilize(edgeCache.current, g.edges),
    };
  }, [lab, positions, selected, problems, liveState, marks]);

  // While a drag runs, positions live here only (React Flow's changes applied to the moved nodes
  // alone); the store gets them once, when the drag ends. Rebuilding the whole graph from the
  // store on every mouse move cost a frame budget several times over at 300 nodes (bench:web).
  const [flowNodes, setFlowNodes] = useState(nodes);
  const dragged = useRef<Record<string, XY>>({});
  // Zoomed out, links are drawn by CompactLinks, not as React Flow's edges (see there).
  const compact = useFlowStore(zoomedOut);

  // Fitting the view to the drawing when the store asks (`fit()`: a lab opened, "Arrange"), once
  // React Flow has the current nodes (flowNodes catches up with nodes one render later), so the fit
  // frames the new layout and not the previous one. Until the last request is done the canvas says
  // `data-layout="fitting"`, then "settled": whoever aims at a node or a handle (an end-to-end test)
  // waits for it, since the whole drawing moves when the fit lands. Counted from 0, so a request
  // made before this canvas mounted (an exercise page draws it once the lab arrived) is honoured.
  const fitRequests = useStore(store, (s) => s.fitRequests);
  const minimap = nodes.length > 0 && nodes.length <= 150 && showsMinimap(size);
  // With the minimap shown (bottom right), the fit keeps a strip on the right free: no node under it.
  const padding = useMemo(
    () =>
      minimap
        ? { top: fitPadding, bottom: fitPadding, left: fitPadding, right: `${MINIMAP.width + 24}px` as const }
        : fitPadding,
    [minimap, fitPadding],
  );
  const [fitted, setFitted] = useState(0);
  const fitting = useRef(0);
  // A new drawing to fit: the view is first set from the nodes' positions and default size, before
  // React Flow gets the nodes, so it draws them once, at about the zoom the fit lands on (a
  // 1,000-node lab was drawn in full at 100 %, handles and all, then again zoomed out: bench:web).
  // The fit below then frames the measured nodes.
  useEffect(() => {
    if (fitting.current !== fitRequests && size && nodes.length > 0 && flowNodes !== nodes) {
      const { width, height } = size;
      void flow.setViewport(getViewportForBounds(getNodesBounds(nodes), width, height, MIN_ZOOM, 1, padding));
    }
    setFlowNodes(nodes);
    // Only a new drawing sets the view (`flowNodes` catching up, or a drag, must not): `nodes` alone.
  }, [nodes]);
  useEffect(() => {
    // Also waits for the canvas's size: whether the minimap shows changes the fit.
    if (fitting.current === fitRequests || flowNodes !== nodes || !size) return;
    const request = (fitting.current = fitRequests);
    const done = () => setFitted((f) => Math.max(f, request));
    // React Flow settles a fit only once it has measured some node: an empty drawing goes back to the origin.
    if (nodes.length === 0) void flow.setViewport({ x: 0, y: 0, zoom: 1 }).then(done);
    else void flow.fitView({ maxZoom: 1, padding }).then(done);
  }, [fitRequests, flowNodes, nodes, flow, padding, size]);

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      const moved: Record<string, XY> = {};
      const dragging: NodeChange<FlowNode>[] = [];
      let selection: Set<string> | undefined;
      for (const c of changes) {
        if (c.type === 'position' && c.position && c.dragging) {
          dragging.push(c);
          dragged.current[c.id] = c.position;
        } else if (c.type === 'position' && c.position) moved[c.id] = c.position;
        if (c.type === 'select') {
          selection ??= new Set(store.getState().selected.nodes);
          if (c.selected) selection.add(c.id);
          else selection.delete(c.id);
        }
      }
      if (dragging.length) setFlowNodes((ns) => applyNodeChanges(dragging, ns));
      if (Object.keys(moved).length) store.getState().moveLive(moved);
      if (selection) store.getState().select([...selection], store.getState().selected.links);
    },
    [store],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange<AnyEdge>[]) => {
      let selection: Set<string> | undefined;
      for (const c of changes) {
        if (c.type === 'select' && !c.id.startsWith('overlay:') && !c.id.startsWith('hosted:')) {
          selection ??= new Set(store.getState().selected.links);
          if (c.selected) selection.add(c.id);
          else selection.delete(c.id);
        }
      }
      if (selection) store.getState().select(store.getState().selected.nodes, [...selection]);
    },
    [store],
  );

  const pointer = useRef({ x: 0, y: 0 });
  const onConnect = useCallback(
    (c: Connection) => {
      if (!c.source || !c.target || c.source === c.target) return;
      const [a, b] = [c.source, c.target];
      // Drawn between a Service and a node: that node becomes (or stops being) an endpoint.
      if (isServiceId(a) !== isServiceId(b)) {
        const [svc, node] = isServiceId(a) ? [a, b] : [b, a];
        store.getState().edit((lab) => toggleEndpoint(lab, serviceNameOf(svc), node));
        return;
      }
      if (isServiceId(a)) return;
      const cable = () => {
        const { lab: next, link } = connect(store.getState().lab, a, b);
        store.getState().edit(() => next);
        store.getState().select([], [linkId(link)]);
      };
      // Two bridges on different hosts: a VXLAN overlay is what joins them (or, on purpose, a veth).
      if (bridgesOnDifferentHosts(store.getState().lab, a, b)) {
        const vni = nextVni(store.getState().lab);
        setMenu({
          ...pointer.current,
          at: performance.now(), // the click that ends the connecting drag must not close it
          items: [
            {
              label: `Join ${a} and ${b} with a VXLAN overlay (VNI ${vni})`,
              run: () => store.getState().edit((lab) => joinOverlay(lab, a, b).lab),
            },
            { label: `Connect ${a} and ${b} with a veth pair`, run: cable },
          ],
        });
        return;
      }
      // A node drawn to a host with interfaces: a veth pair, or a macvlan on one of its interfaces.
      const mv = macvlanCandidate(store.getState().lab, a, b);
      if (mv) {
        const lab = store.getState().lab;
        setMenu({
          ...pointer.current,
          at: performance.now(),
          items: [
            { label: `Connect ${a} and ${b} with a veth pair`, run: cable },
            ...hostInterfaces(lab, mv.host).map((i) => ({
              label: `macvlan in ${mv.node} on ${mv.host} ${i.name} (bridge mode)`,
              run: () => {
                let id = '';
                store.getState().edit((l) => {
                  const r = addMacvlan(l, mv.node, mv.host, i.name);
                  id = r.id;
                  return r.lab;
                });
                store.getState().select([], [id]);
              },
            })),
          ],
        });
        return;
      }
      cable();
    },
    [store],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(PALETTE_MIME) as NodeKind;
      if (!kind || readOnly) return;
      e.preventDefault();
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const before = store.getState().lab;
      const next = addNode(before, kind);
      const name = Object.keys(next.nodes).find((n) => !Object.hasOwn(before.nodes, n))!;
      const at = freeSpot(store.getState().positions, {
        x: Math.round(p.x - NODE_WIDTH / 2),
        y: Math.round(p.y - NODE_HEIGHT / 2),
      });
      store.getState().edit(() => next, { ...store.getState().positions, [name]: at });
      store.getState().select([name], []);
    },
    [flow, store, readOnly],
  );

  const openMenu = useCallback((e: MouseEvent, items: MenuItem[]) => {
    e.preventDefault();
    // From the keyboard (the menu key, Shift+F10) the event has no pointer: open at the focused element.
    const r = e.clientX || e.clientY ? undefined : (e.target as HTMLElement).getBoundingClientRect();
    setMenu(r ? { x: r.left + r.width / 2, y: r.bottom, items } : { x: e.clientX, y: e.clientY, items });
  }, []);

  // Every handler given to React Flow keeps its identity across renders (the canvas renders at each
  // mouse move of a drag): the page's actions are read through a ref.
  const actionsRef = useRef(actions);
  actionsRef.current = actions;
  const onNodeContextMenu = useCallback(
    (e: MouseEvent, n: FlowNode) => {
      if (n.type === 'service') return e.preventDefault();
      const items = nodeMenuItems(actionsRef.current, n.id, n.data.kind);
      if (items.length) openMenu(e, items);
      else e.preventDefault();
    },
    [openMenu],
  );
  const onEdgeContextMenu = useCallback(
    (e: MouseEvent, edge: AnyEdge) => {
      const link = edge.type === 'link' ? edge.data?.link : undefined;
      const items = link ? linkMenuItems(actionsRef.current, link) : [];
      if (items.length) openMenu(e, items);
    },
    [openMenu],
  );
  const onNodeDragStart = useCallback(
    (_e: unknown, _n: FlowNode, nodes: FlowNode[]) => {
      const pos = store.getState().positions;
      dragStart.current = Object.fromEntries(nodes.map((n) => [n.id, pos[n.id] ?? n.position]));
    },
    [store],
  );
  const onNodeDragStop = useCallback(() => {
    if (Object.keys(dragged.current).length) store.getState().moveLive(dragged.current);
    dragged.current = {};
    store.getState().commitMove(dragStart.current);
  }, [store]);
  const onPaneClick = useCallback(() => store.getState().select([], []), [store]);

  return (
    <EditorContext.Provider value={store}>
      <div
        className="pb-canvas"
        ref={canvasRef}
        onDragOver={(e) => e.preventDefault()}
        onDrop={onDrop}
        onPointerMove={(e) => (pointer.current = { x: e.clientX, y: e.clientY })}
        onClick={(e) => {
          if ((e.target as HTMLElement).closest('.pb-menu') || (menu?.at && performance.now() - menu.at < 400)) return;
          setMenu(undefined);
        }}
        data-testid="canvas"
        data-layout={fitted === fitRequests ? 'settled' : 'fitting'}
      >
        <ReactFlow
          nodes={flowNodes}
          edges={compact ? NO_EDGES : edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onConnect={onConnect}
          nodesConnectable={!readOnly}
          isValidConnection={isValidConnection}
          connectionMode={ConnectionMode.Loose}
          onNodeDragStart={onNodeDragStart}
          onNodeDragStop={onNodeDragStop}
          onPaneClick={onPaneClick}
          onNodeContextMenu={onNodeContextMenu}
          onEdgeContextMenu={onEdgeContextMenu}
          deleteKeyCode={null}
          selectionKeyCode="Shift"
          multiSelectionKeyCode={MULTI_SELECTION_KEYS}
          minZoom={MIN_ZOOM}
          defaultViewport={DEFAULT_VIEWPORT}
          onlyRenderVisibleElements
          proOptions={PRO_OPTIONS}
        >
          <Background gap={20} />
          {compact && <CompactLinks nodes={flowNodes} edges={edges} />}
          <Controls showInteractive={false} />
          {/* The minimap redraws every node on each change: past a few hundred it costs frames. On a
              small canvas (a student's exercise page) it would cover the lab: shown only on a roomy one. */}
          {minimap && (
            <MiniMap
              pannable
              zoomable
              nodeColor={minimapColor}
              nodeStrokeColor="#6b7280"
              nodeStrokeWidth={3}
              style={{ width: MINIMAP.width, height: MINIMAP.height }}
              ariaLabel="Overview of the whole drawing"
            />
          )}
        </ReactFlow>
        {menu && <ContextMenu x={menu.x} y={menu.y} items={menu.items} onClose={() => setMenu(undefined)} />}
      </div>
    </EditorContext.Provider>
  );
}
