// The editor store for components React Flow renders (nodes, edges), which get no props from us.
import { createContext, useContext } from 'react';
import type { EditorStore } from '../store/editor';

export const EditorContext = createContext<EditorStore | undefined>(undefined);

export function useEditorStore(): EditorStore {
  const store = useContext(EditorContext);
  if (!store) throw new Error('useEditorStore: no EditorContext above this component');
  return store;
}
