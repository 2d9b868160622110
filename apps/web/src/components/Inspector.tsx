// The inspector: a form for what is selected (one node, one link, several, or the lab itself when
// nothing is). This file dispatches on the selection; the forms are in ./inspector/. Every edit goes
// through the store's `edit`, immutably, dropping optional fields left empty so the YAML stays clean.
import { useId, useMemo, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { linkId } from '../model/lab-edit';
import type { EditorStore } from '../store/editor';
import type { LiveStore } from '../store/live';
import { InspectorContext, type Ctx } from './inspector/context';
import { LabInspector } from './inspector/LabInspector';
import { LinkInspector } from './inspector/LinkInspector';
import { MacvlanInspector } from './inspector/MacvlanInspector';
import { isMacvlanId } from '../model/macvlan-edit';
import { NodeInspector } from './inspector/NodeInspector';
import { ServiceInspector } from './inspector/ServiceInspector';
import { isServiceId, serviceNameOf } from '../model/service-edit';
import './inspector.css';

export function Inspector(props: { store: EditorStore; live?: LiveStore }) {
  const { lab, selected, problems, warnings } = useStore(
    props.store,
    useShallow((s) => ({ lab: s.lab, selected: s.selected, problems: s.problems, warnings: s.warnings })),
  );
  const idp = `pb-insp${useId().replace(/[^A-Za-z0-9_-]/g, '')}-`;
  // Fields show their warnings under them too, after their problems.
  const fieldProblems = useMemo(() => [...problems, ...warnings], [problems, warnings]);
  const ctx: Ctx = { store: props.store, problems: fieldProblems, idp, live: props.live };

  let body: ReactNode;
  const oneNode = selected.nodes.length === 1 && selected.links.length === 0 ? selected.nodes[0] : undefined;
  const oneLink = selected.links.length === 1 && selected.nodes.length === 0 ? selected.links[0] : undefined;
  const nodeSpec = oneNode !== undefined ? lab.nodes[oneNode] : undefined;
  const linkIndex = oneLink !== undefined ? lab.links.findIndex((l) => linkId(l) === oneLink) : -1;
  const link = lab.links[linkIndex];
  if (oneNode !== undefined && isServiceId(oneNode)) {
    body = <ServiceInspector lab={lab} name={serviceNameOf(oneNode)} />;
  } else if (oneNode !== undefined && nodeSpec) {
    body = <NodeInspector lab={lab} name={oneNode} spec={nodeSpec} />;
  } else if (oneLink !== undefined && isMacvlanId(oneLink)) {
    body = <MacvlanInspector lab={lab} id={oneLink} />;
  } else if (oneLink !== undefined && link) {
    body = <LinkInspector lab={lab} id={oneLink} index={linkIndex} link={link} />;
  } else if (selected.nodes.length + selected.links.length > 1) {
    const n = selected.nodes.length;
    const m = selected.links.length;
    body = (
      <section className="pb-insp-section">
        <h2>Selection</h2>
        <p>
          {n} {n === 1 ? 'node' : 'nodes'}, {m} {m === 1 ? 'link' : 'links'} selected
        </p>
        <button
          type="button"
          className="danger"
          data-testid="inspector-delete"
          onClick={() => props.store.getState().deleteSelected()}
        >
          Delete
        </button>
      </section>
    );
  } else {
    body = <LabInspector lab={lab} problems={problems} warnings={warnings} />;
  }
  return (
    <InspectorContext.Provider value={ctx}>
      <aside className="pb-inspector" aria-label="Inspector" data-testid="inspector">
        {body}
      </aside>
    </InspectorContext.Provider>
  );
}
