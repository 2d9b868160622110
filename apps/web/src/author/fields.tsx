// Small form pieces shared by the authoring forms: a labelled row with its problems underneath, and
// the node select that a click on the canvas can fill (it shows when it is the one being filled).
import type { Problem } from '@patchbay/scenarios';
import { createContext, useContext, useId, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { AuthorStore } from './author-store';
import type { LabFacts } from './lab-facts';
import { pickTargetPath, problemsUnder, type PickTarget } from './scenario-draft';

export interface AuthorCtx {
  store: AuthorStore;
  facts: LabFacts;
  problems: Problem[];
}

export const AuthorContext = createContext<AuthorCtx | undefined>(undefined);

export function useAuthor(): AuthorCtx {
  const ctx = useContext(AuthorContext);
  if (!ctx) throw new Error('useAuthor: no AuthorContext above this component');
  return ctx;
}

/** The problems exactly at `path` (not inside it), under a field. */
export function FieldProblems({ path }: { path: string }) {
  const { problems } = useAuthor();
  const here = problems.filter((p) => p.path === path);
  if (!here.length) return null;
  return (
    <ul className="pb-au-problems" data-testid={`problems-${path}`}>
      {here.map((p, i) => (
        <li key={i} title={p.code}>
          {p.message}
        </li>
      ))}
    </ul>
  );
}

/** A labelled field whose problems (at `path`) show underneath. */
export function Row({
  label,
  path,
  help,
  required,
  children,
}: {
  label: string;
  path: string;
  help?: string;
  required?: boolean;
  children: (id: string) => ReactNode;
}) {
  const id = `pb-au${useId().replace(/[^A-Za-z0-9_-]/g, '')}`;
  const { problems } = useAuthor();
  const bad = problems.some((p) => p.path === path);
  return (
    <div className={`pb-au-row${bad ? ' has-problems' : ''}`}>
      <label htmlFor={id} title={help}>
        {label}
        {required ? <span aria-hidden> *</span> : null}
      </label>
      <div className="pb-au-input">
        {children(id)}
        <FieldProblems path={path} />
      </div>
    </div>
  );
}

/** How many problems are at or inside `path` (a badge on a check's header). */
export function useProblemCount(path: string): number {
  return problemsUnder(useAuthor().problems, path).length;
}

/**
 * A node chosen from a select or by clicking it on the canvas: focusing the select (or pressing
 * its pick button) makes it the field a canvas click fills.
 */
export function NodePicker({
  id,
  value,
  options,
  target,
  onChange,
}: {
  id: string;
  value: string;
  options: string[];
  target: PickTarget;
  onChange: (v: string) => void;
}) {
  const { store } = useAuthor();
  const active = usePicking(target);
  const path = pickTargetPath(target);
  return (
    <span className={`pb-au-pick${active ? ' active' : ''}`}>
      <select
        id={id}
        value={options.includes(value) || value === '' ? value : `?${value}`}
        onChange={(e) => !e.target.value.startsWith('?') && onChange(e.target.value)}
        onFocus={() => store.getState().setPick(target)}
        data-testid={`field-${path}`}
      >
        <option value="">—</option>
        {!options.includes(value) && value !== '' && <option value={`?${value}`}>{value} (not in the lab)</option>}
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
      <PickButton target={target} />
    </span>
  );
}

/** Whether `target` is the field the next canvas click fills. */
export function usePicking(target: PickTarget): boolean {
  const { store } = useAuthor();
  return useStore(store, (s) => s.pick !== undefined && pickTargetPath(s.pick) === pickTargetPath(target));
}

/** The pick button: makes `target` the field a canvas click fills (pressed again: stops). */
export function PickButton({ target }: { target: PickTarget }) {
  const { store } = useAuthor();
  const active = usePicking(target);
  const path = pickTargetPath(target);
  return (
    <button
      type="button"
      className="pb-au-pickbtn"
      aria-pressed={active}
      title={active ? 'Click a node on the canvas (Esc stops)' : 'Pick on the canvas'}
      onClick={() => store.getState().setPick(active ? undefined : target)}
      data-testid={`pick-${path}`}
    >
      pick
    </button>
  );
}
