// Page-wide behaviour of the editor: keyboard shortcuts and autosave to the server.
import { useEffect, useRef, useState } from 'react';
import { ApiError, client } from '../api/client';
import type { EditorStore } from '../store/editor';

export interface ShortcutActions {
  apply: () => void;
  open: () => void;
  save: () => void;
}

const isTyping = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

/** Undo, redo, delete, copy/paste, select all, apply, open, save; not while typing in a field. */
export function useShortcuts(store: EditorStore, actions: ShortcutActions, enabled: boolean): void {
  const ref = useRef(actions);
  ref.current = actions;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === 'enter') {
        e.preventDefault();
        return ref.current.apply();
      }
      if (mod && key === 's') {
        e.preventDefault();
        return ref.current.save();
      }
      if (mod && key === 'o') {
        e.preventDefault();
        return ref.current.open();
      }
      if (isTyping(e.target)) return;
      const s = store.getState();
      if (mod && key === 'z' && !e.shiftKey) s.undo();
      else if (mod && ((key === 'z' && e.shiftKey) || key === 'y')) s.redo();
      else if (mod && key === 'a') s.selectAll();
      else if (mod && key === 'c') s.copy();
      else if (mod && key === 'v') s.paste();
      else if (key === 'delete' || key === 'backspace') s.deleteSelected();
      else if (key === 'escape') s.select([], []);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store, enabled]);
}

export type SaveState = { state: 'idle' | 'pending' | 'saving' | 'saved' } | { state: 'error'; message: string };

/** Saves the document and layout as a draft shortly after each change; `saveNow` for Ctrl+S. */
export function useAutosave(store: EditorStore, delayMs = 800): { save: SaveState; saveNow: () => Promise<void> } {
  const [save, setSave] = useState<SaveState>({ state: 'idle' });
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const pending = useRef(false);
  const saveNow = async () => {
    clearTimeout(timer.current);
    pending.current = false;
    const { lab, positions } = store.getState();
    if (!lab.name) return;
    setSave({ state: 'saving' });
    try {
      await client.call('saveDraft', { params: { name: lab.name }, body: { document: lab, layout: { positions } } });
      setSave({ state: 'saved' });
    } catch (e) {
      setSave({ state: 'error', message: e instanceof ApiError ? e.message : String(e) });
    }
  };
  const saveRef = useRef(saveNow);
  saveRef.current = saveNow;
  useEffect(
    () =>
      store.subscribe((s, prev) => {
        if (s.lab === prev.lab && s.positions === prev.positions) return;
        pending.current = true;
        setSave((prev) => (prev.state === 'pending' ? prev : { state: 'pending' })); // no re-render per mouse move
        clearTimeout(timer.current);
        timer.current = setTimeout(() => {
          pending.current = false;
          void saveRef.current();
        }, delayMs);
      }),
    [store, delayMs],
  );
  // Leaving the page (reload, close) with a change not saved yet: send it anyway (keepalive).
  useEffect(() => {
    const flush = () => {
      if (!pending.current) return;
      const { lab, positions } = store.getState();
      // keepalive: the save outlives the page; fire and forget.
      client
        .call(
          'saveDraft',
          { params: { name: lab.name }, body: { document: lab, layout: { positions } } },
          { keepalive: true },
        )
        .catch(() => undefined);
      pending.current = false;
    };
    window.addEventListener('pagehide', flush);
    return () => window.removeEventListener('pagehide', flush);
  }, [store]);
  return { save, saveNow };
}
