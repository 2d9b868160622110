// The page's word on the server, above every page: while a link is lost, "Reconnecting to the
// Patchbay server… (attempt N, next in Ns)", then "Reconnected" for a few seconds. What it shows
// comes from the connection manager (api/connection.ts), which every socket and REST call reports to.
import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { connectionStore, serverView, serverViewText, type ServerView } from '../api/connection';

/** What the page shows about the server, kept current (the countdown ticks while away). */
export function useServerView(): ServerView {
  const st = useStore(connectionStore);
  const [now, setNow] = useState(() => Date.now());
  const view = serverView(st, now);
  const ticking = view.kind !== 'online';
  useEffect(() => {
    setNow(Date.now());
    if (!ticking) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [ticking, st]);
  return view;
}

/** Whether the server is reachable now (no link of the page is lost). */
export function useServerOnline(): boolean {
  return useStore(connectionStore, (st) => !Object.values(st.links).some((s) => s.phase === 'away'));
}

export function ConnectionBanner() {
  const view = useServerView();
  if (view.kind === 'online') return null;
  return (
    <div
      className={`pb-connection-banner ${view.kind}`}
      role="status"
      aria-live="polite"
      data-testid="connection-banner"
      data-state={view.kind}
    >
      {serverViewText(view)}
    </div>
  );
}
