// A node's `run:` processes in its tables panel: each line's state (running, exited with its
// status, not started) and the end of its output. The live tables carry the processes as of the
// last kernel change in the node; output arrives without one, so while the section is shown it
// reads the lab state again every few seconds (one GET, only for an open panel of a node that
// runs something).
import type { NodeView, ProcessView } from '@patchbay/topology';
import { useEffect, useState } from 'react';
import { client as pageClient, type Client } from '../api/client';

const REFRESH_MS = 2000;

/** The state of a process in words. */
export function processStateText(p: ProcessView): string {
  if (p.state === 'running') return `running${p.pid !== undefined ? ` (pid ${p.pid})` : ''}`;
  if (p.state === 'exited')
    return `exited${p.code !== undefined ? ` with status ${p.code}` : ''}: the next apply starts it again`;
  return 'not started: apply the lab';
}

export function ProcessesSection({ lab, node, client = pageClient }: { lab: string; node: NodeView; client?: Client }) {
  const [fresh, setFresh] = useState<ProcessView[] | undefined>();
  const runs = (node.processes?.length ?? 0) > 0;
  useEffect(() => {
    setFresh(undefined);
    if (!runs) return;
    let stopped = false;
    const read = async () => {
      const state = await client.call('labState', { params: { name: lab } }).catch(() => undefined);
      if (!stopped && state) setFresh(state.nodes.find((n) => n.node === node.node)?.processes ?? []);
    };
    void read();
    const timer = setInterval(() => void read(), REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [lab, node.node, runs, client]);
  const processes = fresh ?? node.processes ?? [];
  if (processes.length === 0) return null;
  return (
    <section className="pb-table-section" data-testid="processes-section">
      <h3>
        Processes (run) <span className="badge">{processes.length}</span>
      </h3>
      {processes.map((p) => (
        <div key={`${p.name}|${p.command}`} className="pb-process" data-testid="process">
          <p>
            <span className="mono">{p.name}</span>{' '}
            <span className={p.state === 'running' ? 'pb-state-up' : 'pb-state-down'} data-testid="process-state">
              {processStateText(p)}
            </span>
          </p>
          <p className="mono pb-muted">$ {p.command}</p>
          <pre className="pb-process-output mono" data-testid="process-output">
            {p.output || '(no output yet)'}
          </pre>
        </div>
      ))}
    </section>
  );
}
