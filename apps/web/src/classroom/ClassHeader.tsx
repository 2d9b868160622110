// The instructor pages' toolbar: back to the editor, to the sessions, and where one is.
import type { ReactNode } from 'react';
import { navigate } from '../routes';

export function AppLink({ to, children, testid }: { to: string; children: ReactNode; testid?: string }) {
  return (
    <a
      href={to}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return; // a new tab: let the browser open it
        e.preventDefault();
        navigate(to);
      }}
      {...(testid ? { 'data-testid': testid } : {})}
    >
      {children}
    </a>
  );
}

export function ClassHeader({ children }: { children?: ReactNode }) {
  return (
    <header className="pb-toolbar" role="toolbar" aria-label="Class">
      <strong className="pb-brand">Patchbay</strong>
      <nav className="pb-crumbs" aria-label="Where you are">
        <AppLink to="/">Editor</AppLink> ›{' '}
        <AppLink to="/class" testid="crumb-class">
          Class sessions
        </AppLink>
        {children}
      </nav>
    </header>
  );
}
