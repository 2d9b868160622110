// The Why? question as a page uses it (the editor, an exercise): `open(prefill)` shows the form; its
// answer goes to the editor store (the canvas draws it, the panel says it) and `onAnswered` runs
// (the page shows the Why? panel). Asked through the page's client: a student's covers their lab.
import type { Lab } from '@patchbay/topology';
import { useCallback, useState, type ReactNode } from 'react';
import { flushSync } from 'react-dom';
import type { Client } from '../api/client';
import type { EditorStore } from '../store/editor';
import { WhyDialog } from './WhyDialog';
import type { WhyPrefill } from './why-form';

export function useWhyDialog(opts: {
  lab: Lab | undefined;
  client: Client;
  store: EditorStore;
  onAnswered: () => void;
}): { open: (prefill: WhyPrefill) => void; dialog: ReactNode } {
  const { lab, client, store, onAnswered } = opts;
  const [prefill, setPrefill] = useState<WhyPrefill>();
  const close = useCallback(() => setPrefill(undefined), []);
  const dialog =
    prefill && lab ? (
      <WhyDialog
        lab={lab}
        prefill={prefill}
        ask={(body) => client.call('whyLab', { params: { name: lab.name }, body })}
        onAnswer={(r) => {
          // The panel is shown first, then the answer changes its verdict: a screen reader announces
          // a live region's change only while the region is shown.
          flushSync(onAnswered);
          store.getState().showWhy(r);
        }}
        onClose={close}
      />
    ) : null;
  return { open: setPrefill, dialog };
}
