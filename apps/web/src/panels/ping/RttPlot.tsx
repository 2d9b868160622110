// The ping panel's RTT plot: one bar per seq, drawn as SVG, with a text label for screen readers.
import { formatRtt, type SeqPoint } from '../ping-format';

/** Bars of RTT per seq (height relative to the largest), lost seqs as a red cross, pending ones faint. */
export function RttPlot({ points, count }: { points: SeqPoint[]; count: number }) {
  const W = 300;
  const H = 60;
  const n = Math.max(points.length, count, 1);
  const slot = W / n;
  const bar = Math.max(1, Math.min(slot * 0.7, 24));
  const max = Math.max(...points.map((p) => p.rttMs ?? 0), 0.001);
  const lost = points.filter((p) => p.state === 'lost').length;
  const ok = points.filter((p) => p.state === 'ok').length;
  const label = `RTT per sequence number: ${ok} replies, ${lost} lost, max ${formatRtt(max)} ms`;
  return (
    <figure className="pb-rtt" data-testid="ping-plot">
      <svg viewBox={`0 0 ${W} ${H + 2}`} preserveAspectRatio="none" role="img" aria-label={label}>
        <line x1={0} y1={H} x2={W} y2={H} className="pb-rtt-axis" />
        {points.map((p) => {
          const x = (p.seq - 1) * slot + (slot - bar) / 2;
          if (p.state === 'ok') {
            const h = p.rttMs === undefined ? 2 : Math.max(2, (p.rttMs / max) * (H - 4));
            return (
              <rect key={p.seq} x={x} y={H - h} width={bar} height={h} className="pb-rtt-ok">
                <title>{`seq ${p.seq}: ${p.rttMs === undefined ? 'reply (no time)' : `${formatRtt(p.rttMs)} ms`}`}</title>
              </rect>
            );
          }
          if (p.state === 'lost') {
            const cx = x + bar / 2;
            const r = Math.min(5, Math.max(2, bar / 2));
            return (
              <g key={p.seq} className="pb-rtt-lost">
                <title>{`seq ${p.seq}: lost`}</title>
                <rect x={x} y={0} width={bar} height={H} className="pb-rtt-lost-bg" />
                <line x1={cx - r} y1={H - 2 * r - 2} x2={cx + r} y2={H - 2} />
                <line x1={cx - r} y1={H - 2} x2={cx + r} y2={H - 2 * r - 2} />
              </g>
            );
          }
          return (
            <rect key={p.seq} x={x} y={H - 2} width={bar} height={2} className="pb-rtt-pending">
              <title>{`seq ${p.seq}: waiting`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption className="pb-muted">
        RTT per seq (max {formatRtt(max)} ms){lost > 0 ? `, ${lost} lost` : ''}
      </figcaption>
    </figure>
  );
}
