// What the capture panel says about the capture: why it failed to start or ended early, and its
// status line (state, packets, bytes, lines not shown and why, the pcap's size).
import { plural } from '@patchbay/topology';
import type { CaptureStatus, Problem } from '@patchbay/protocol';
import { describeReason, formatBytes } from '../capture-format';
import { readLimitNote } from './read-limit-note';
import type { Session } from './session';

export function CaptureError({ error }: { error: { message: string; problems: Problem[] } }) {
  return (
    <div className="pb-error" role="alert" data-testid="capture-error">
      <strong>Capture failed:</strong> {error.message}
      {error.problems.length > 0 && (
        <ul>
          {error.problems.map((p, i) => (
            <li key={i}>
              {p.path && <code>{p.path}</code>} {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function CaptureStatusBar({
  session,
  info,
  running,
  clientDropped,
}: {
  session: Session;
  info: CaptureStatus | undefined;
  running: boolean;
  clientDropped: number;
}) {
  const linesDropped = clientDropped + (info?.decoderDropped ?? 0);
  return (
    <div className="pb-cap-status" data-testid="capture-status" role="status" aria-live="polite">
      <span className={`pb-badge ${running ? 'pb-badge-live' : ''}`}>
        {session.starting ? 'starting' : session.lost ? 'disconnected' : (info?.state ?? 'running')}
      </span>
      <span>
        {session.node}:{session.iface}
        {info?.filter ? ` (${info.filter})` : ''}
      </span>
      {info && (
        <>
          <span>
            {plural(info.packets, 'packet')}, {formatBytes(info.bytes)}
          </span>
          {info.state === 'ended' && info.reason && (
            <span
              className={
                info.reason === 'error' ||
                info.reason === 'exited' ||
                info.reason === 'lab-changed' ||
                info.reason === 'memory'
                  ? 'pb-warn-text'
                  : undefined
              }
            >
              ended: {describeReason(info.reason)}
              {info.message ? ` — ${info.message}` : ''}
            </span>
          )}
        </>
      )}
      {linesDropped > 0 && (
        <span className="pb-warn-text" title="these packets are in the pcap">
          {linesDropped} lines not shown ({clientDropped} this page fell behind, {info?.decoderDropped ?? 0} decoder
          fell behind; all are in the pcap)
        </span>
      )}
      {readLimitNote(info) && (
        <span
          className="pb-warn-text"
          data-testid="capture-read-limit"
          title="the server reads at most this many packets a second from a student's captures together; meanwhile tcpdump waits and the kernel drops what its buffer cannot hold"
        >
          {readLimitNote(info)}
        </span>
      )}
      {info?.kernelDropped !== undefined && (
        <span className={info.kernelDropped > 0 ? 'pb-warn-text' : undefined}>
          {info.kernelDropped} dropped by the kernel
        </span>
      )}
      {info && (
        <span className="pb-muted">
          pcap: {plural(info.pcapPackets, 'packet')}, {formatBytes(info.pcapBytes)}
          {info.stored === 'disk' ? ' (kept in a file on the server)' : ''}
        </span>
      )}
    </div>
  );
}
