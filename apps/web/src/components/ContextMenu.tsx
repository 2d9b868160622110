// The canvas's context menu (a node's or a link's actions): where it was opened, its first item
// focused so the keyboard can use it at once (↑/↓ move, Enter runs, Escape closes).
import { useEffect, useRef, type KeyboardEvent } from 'react';

export interface MenuItem {
  label: string;
  run: () => void;
}

export function ContextMenu({
  x,
  y,
  items,
  onClose,
}: {
  x: number;
  y: number;
  items: MenuItem[];
  onClose: () => void;
}) {
  const ref = useRef<HTMLUListElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, [items]);
  const choose = (it: MenuItem) => {
    onClose();
    it.run();
  };
  const onKey = (e: KeyboardEvent<HTMLUListElement>) => {
    const entries = [...(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const at = entries.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'Escape') onClose();
    else if (e.key === 'ArrowDown') entries[(at + 1) % entries.length]?.focus();
    else if (e.key === 'ArrowUp') entries[(at - 1 + entries.length) % entries.length]?.focus();
    else return;
    e.preventDefault();
    e.stopPropagation();
  };
  return (
    <ul
      ref={ref}
      className="pb-menu"
      role="menu"
      style={{ left: x, top: y }}
      data-testid="context-menu"
      onKeyDown={onKey}
    >
      {items.map((it) => (
        <li
          key={it.label}
          role="menuitem"
          tabIndex={0}
          onClick={() => choose(it)}
          onKeyDown={(e) => e.key === 'Enter' && choose(it)}
        >
          {it.label}
        </li>
      ))}
    </ul>
  );
}
