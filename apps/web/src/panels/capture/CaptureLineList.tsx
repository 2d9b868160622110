// The capture panel's list of decoded lines: rendered in memoized chunks, so a new batch does not
// re-render the whole list, and kept scrolled to the newest line unless the user scrolled up.
import { memo, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { chunkLines, type ViewLine } from '../capture-format';

const CHUNK = 200;

/** `shown`: the lines that match `query`, of `total` in the view; `waiting`: a capture is running. */
export function CaptureLineList({
  shown,
  query,
  total,
  waiting,
}: {
  shown: readonly ViewLine[];
  query: string;
  total: number;
  waiting: boolean;
}) {
  const chunks = useMemo(() => chunkLines(shown, CHUNK), [shown]);

  // Follow the newest line unless the user scrolled up.
  const listRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const [following, setFollowing] = useState(true);
  const onScroll = () => {
    const el = listRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    stick.current = atBottom;
    setFollowing(atBottom);
  };
  useLayoutEffect(() => {
    const el = listRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [chunks]);
  const jumpToNewest = () => {
    const el = listRef.current;
    stick.current = true;
    setFollowing(true);
    if (el) el.scrollTop = el.scrollHeight;
  };

  return (
    <div className="pb-cap-wrap">
      <div
        ref={listRef}
        className="pb-lines pb-cap-lines"
        data-testid="capture-lines"
        role="log"
        aria-live="off"
        aria-label="Captured packets"
        tabIndex={0}
        onScroll={onScroll}
      >
        {chunks.map((c) => (
          <Chunk key={Math.floor(c[0]!.n / CHUNK)} lines={c} query={query} />
        ))}
        {shown.length === 0 && (
          <div className="pb-line pb-muted">
            {total > 0 ? 'no line matches the search' : waiting ? 'waiting for packets…' : 'no packets'}
          </div>
        )}
      </div>
      {!following && chunks.length > 0 && (
        <button type="button" className="pb-btn pb-cap-jump" onClick={jumpToNewest}>
          ↓ Newest
        </button>
      )}
    </div>
  );
}

/** A run of lines; re-rendered only when the search, its first or last line, or its length changes. */
const Chunk = memo(
  function Chunk({ lines }: { lines: readonly ViewLine[]; query: string }) {
    return (
      <>
        {lines.map((l) => (
          <div key={l.n} className="pb-line pb-cap-line" data-testid="capture-line">
            <span className="pb-cap-time">{l.time}</span>
            <span className="pb-cap-text">{l.text}</span>
          </div>
        ))}
      </>
    );
  },
  (a, b) =>
    a.query === b.query &&
    a.lines.length === b.lines.length &&
    a.lines[0] === b.lines[0] &&
    a.lines[a.lines.length - 1] === b.lines[b.lines.length - 1],
);
