// The editor's bottom panels, one tab each: the last apply's commands, ping, capture, kernel
// tables, a terminal and the Why? answer. The ping, capture and terminal panels stay mounted while
// another tab is shown (ping's from the first time it shows), so what they run keeps running (and Why?'s, so its answer is announced).
import type { ApplyResponse } from '@patchbay/protocol';
import type { Lab } from '@patchbay/topology';
import { useState } from 'react';
import { CapturePanel } from '../panels/CapturePanel';
import { PingPanel } from '../panels/PingPanel';
import { TablesPanel } from '../panels/TablesPanel';
import { TerminalPanel } from '../panels/TerminalPanel';
import type { EditorStore } from '../store/editor';
import type { LiveStore } from '../store/live';
import type { WhyPrefill } from '../why/why-form';
import { WhyPanel } from '../why/WhyPanel';

export type PanelTab = 'result' | 'ping' | 'capture' | 'tables' | 'terminal' | 'why';

const TAB_TITLES: Record<PanelTab, string> = {
  result: 'Apply result',
  ping: 'Ping',
  capture: 'Capture',
  tables: 'Kernel tables',
  terminal: 'Terminal',
  why: 'Why?',
};

/** Where a panel was asked to start from the canvas; `request` grows with each ask. */
export interface PanelTargets {
  pingFrom?: string | undefined;
  capture: { node?: string; iface?: string; request: number };
  terminal: { node?: string; request: number };
}

export interface BottomPanelsProps {
  tab: PanelTab;
  onTab: (tab: PanelTab) => void;
  lab: Lab;
  applied: boolean;
  live: LiveStore;
  lastApply: ApplyResponse | undefined;
  /** The node selected on the canvas, when exactly one is: the panels' default node. */
  selectedNode: string | undefined;
  targets: PanelTargets;
  /** The editor's store (its Why? answer) and how to ask a Why? question. */
  why: { store: EditorStore; ask: (prefill: WhyPrefill) => void };
}

function ApplyResult({ result }: { result: ApplyResponse | undefined }) {
  if (!result)
    return (
      <p className="pb-muted">Apply the lab (Ctrl+Enter) to realize it in the kernel; only what differs is changed.</p>
    );
  return (
    <ol className="pb-ops">
      {result.ops.length === 0 && <li>Nothing to do: the kernel already matched.</li>}
      {result.ops.map((op, i) => (
        <li key={i}>
          <span className="pb-op-reason">{op.reason}</span> <code className="mono">{op.command}</code>
        </li>
      ))}
    </ol>
  );
}

export function BottomPanels(props: BottomPanelsProps) {
  const { tab, onTab, lab, applied, live, lastApply, selectedNode, targets, why } = props;
  const pingNode = targets.pingFrom ?? selectedNode;
  const captureNode = targets.capture.node ?? selectedNode;
  const terminalNode = targets.terminal.node ?? selectedNode;
  // The ping panel mounts the first time its tab shows (and then stays, so a running ping goes on):
  // its lists hold every node and address of the lab, thousands of options to build and keep up to
  // date in a large lab that nobody pings (bench:web, a 1,000-node lab's open).
  const [pingShown, setPingShown] = useState(tab === 'ping');
  if (tab === 'ping' && !pingShown) setPingShown(true);
  return (
    <section className="pb-bottom" aria-label="Panels">
      <div className="pb-tabs" role="tablist">
        {(['result', 'ping', 'capture', 'tables', 'terminal', 'why'] as const).map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} onClick={() => onTab(t)} data-testid={`tab-${t}`}>
            {TAB_TITLES[t]}
          </button>
        ))}
      </div>
      <div className="pb-tab-body">
        {tab === 'result' && <ApplyResult result={lastApply} />}
        <div hidden={tab !== 'ping'}>
          {pingShown && (
            <PingPanel lab={lab} applied={applied} {...(pingNode ? { node: pingNode } : {})} onWhy={why.ask} />
          )}
        </div>
        <div hidden={tab !== 'capture'}>
          <CapturePanel
            lab={lab}
            applied={applied}
            {...(captureNode ? { node: captureNode } : {})}
            {...(targets.capture.iface ? { iface: targets.capture.iface } : {})}
            request={targets.capture.request}
          />
        </div>
        <div hidden={tab !== 'terminal'} className="pb-tab-fill">
          <TerminalPanel
            lab={lab}
            applied={applied}
            {...(terminalNode ? { node: terminalNode } : {})}
            request={targets.terminal.request}
          />
        </div>
        {tab === 'tables' && <TablesPanel live={live} lab={lab} {...(selectedNode ? { node: selectedNode } : {})} />}
        {/* Mounted while hidden: its verdict's live region is there before an answer arrives. */}
        <div hidden={tab !== 'why'}>
          <WhyPanel
            store={why.store}
            canAsk={applied}
            cannotAsk="apply the lab first: Why? reads the running kernel"
            onAsk={() => why.ask(selectedNode ? { from: selectedNode } : {})}
          />
        </div>
      </div>
    </section>
  );
}
