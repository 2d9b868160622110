// Beside the join link on the dashboard: when students on other machines cannot use it (the server
// listens on loopback only, or the page was opened at 127.0.0.1), say so and how to fix it.
import type { ServerListen } from '@patchbay/protocol';
import { useEffect, useState } from 'react';
import { client } from '../api/client';
import { joinLinkReach } from './join-link';

export function JoinLinkNotice() {
  const [listen, setListen] = useState<ServerListen>();
  const [asked, setAsked] = useState(false);
  useEffect(() => {
    let live = true;
    client.call('serverStatus').then(
      (s) => live && (setListen(s.listen), setAsked(true)),
      // Not known (an older server): the page's own address still tells part of it.
      () => live && setAsked(true),
    );
    return () => {
      live = false;
    };
  }, []);
  if (!asked) return null;
  const reach = joinLinkReach(window.location.href, listen);
  if (!reach) return null;
  return (
    <div className="pb-notice warn" role="note" data-testid="join-link-warning" data-kind={reach.kind}>
      {reach.kind === 'server-loopback' ? (
        <div>
          <strong>Students on other machines cannot use this link:</strong> the server listens on{' '}
          <span className="mono">{reach.address}</span> only, which no other machine reaches. To serve the class
          network, restart it with <code className="mono">{reach.serveCommand}</code> (TLS, since tokens and terminals
          cross the network) and open this page at the machine's network address or host name (with the{' '}
          <code className="mono">?token=…</code> it prints), so that the link carries it. Names other than its addresses
          and host name must be listed in <code className="mono">PATCHBAY_ALLOWED_HOSTS</code> (docs/server.md).
        </div>
      ) : (
        <div>
          <strong>Students on other machines cannot use this link:</strong> it names this machine (
          <span className="mono">{window.location.hostname}</span>). Open this page at the machine's network address or
          host name
          {reach.suggestedOrigin ? (
            <>
              {' '}
              (e.g.{' '}
              <a className="mono" href={`${reach.suggestedOrigin}${window.location.pathname}`}>
                {reach.suggestedOrigin}
              </a>
              )
            </>
          ) : null}{' '}
          so that the link carries it (a new address asks for the token again: add{' '}
          <code className="mono">?token=…</code> as <code className="mono">patchbay serve</code> printed it); other
          names must be listed in <code className="mono">PATCHBAY_ALLOWED_HOSTS</code> (docs/server.md).
        </div>
      )}
    </div>
  );
}
