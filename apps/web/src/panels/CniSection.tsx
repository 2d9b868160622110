// A node's CNI attachments as they are (the lab state's `cni`): for each, its state, the CNI_*
// environment and network config Patchbay passed the plugin, and the result JSON the plugin
// returned. Shown in the node's inspector and its tables panel; read from the lab state (one GET
// when shown, again when `refresh` changes: an apply).
import type { CniView } from '@patchbay/topology';
import { useEffect, useState } from 'react';
import { client as pageClient, type Client } from '../api/client';
import { cniStateText } from '../model/cni-edit';

export function CniSection({
  lab,
  node,
  refresh,
  client = pageClient,
}: {
  lab: string;
  node: string;
  refresh?: string;
  client?: Client;
}) {
  const [views, setViews] = useState<CniView[]>([]);
  useEffect(() => {
    let stopped = false;
    void client
      .call('labState', { params: { name: lab } })
      .then((state) => {
        if (!stopped) setViews(state.nodes.find((n) => n.node === node)?.cni ?? []);
      })
      .catch(() => !stopped && setViews([])); // not applied: nothing to show
    return () => {
      stopped = true;
    };
  }, [lab, node, refresh, client]);
  if (views.length === 0) return null;
  return (
    <section className="pb-table-section" data-testid="cni-section">
      <h3>
        CNI <span className="badge">{views.length}</span>
      </h3>
      {views.map((v) => (
        <details key={v.interface} className="pb-process" data-testid="cni-view" open>
          <summary>
            <span className="mono">{v.interface}</span>{' '}
            <span className={v.state === 'attached' ? 'pb-state-up' : 'pb-state-down'} data-testid="cni-state">
              {cniStateText(v)}
            </span>
          </summary>
          <p className="pb-muted">environment</p>
          <pre className="pb-process-output mono">
            {Object.entries(v.env)
              .map(([k, val]) => `${k}=${val}`)
              .join('\n')}
          </pre>
          <p className="pb-muted">config passed on stdin</p>
          <pre className="pb-process-output mono" data-testid="cni-config">
            {JSON.stringify(v.config, null, 2)}
          </pre>
          <p className="pb-muted">result the plugin returned</p>
          <pre className="pb-process-output mono" data-testid="cni-result">
            {v.result ? JSON.stringify(v.result, null, 2) : '(none yet)'}
          </pre>
        </details>
      ))}
    </section>
  );
}
