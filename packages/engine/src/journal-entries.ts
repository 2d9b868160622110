// The journal entries an apply writes, one function per moment: before the kernel is touched
// (`applying`: every namespace the lab may own, so a crash leaves nothing unaccounted for), after
// success (`applied`), and after a failure that could not be undone (`failed`). A failure that was
// undone puts the previous entry back (or none, for a first apply).
import type { Lab } from '@patchbay/topology';
import type { JournalEntry, ManagedTables } from './journal.js';

/** Namespaces a lab may own while `desired` is being applied over `entry`: both revisions'. */
function mayOwn(entry: JournalEntry | undefined, desiredNamespaces: readonly string[]): string[] {
  return [...new Set([...(entry?.namespaces ?? []), ...desiredNamespaces])].sort();
}

/** Written before an apply changes the kernel. */
export function applyingEntry(
  prefix: string,
  lab: Lab,
  entry: JournalEntry | undefined,
  desiredNamespaces: readonly string[],
): JournalEntry {
  return {
    version: 1,
    prefix,
    name: lab.name,
    status: 'applying',
    revision: entry?.revision ?? 0,
    lab: entry?.lab,
    ...(entry?.managed ? { managed: entry.managed } : {}),
    pending: lab,
    namespaces: mayOwn(entry, desiredNamespaces),
    updatedAt: '',
  };
}

/** Written after an apply succeeded: `lab` is now revision `revision`, owning exactly `desiredNamespaces`. */
export function appliedEntry(
  prefix: string,
  lab: Lab,
  revision: number,
  desiredNamespaces: readonly string[],
  managed: ManagedTables,
): JournalEntry {
  return {
    version: 1,
    prefix,
    name: lab.name,
    status: 'applied',
    revision,
    lab,
    managed,
    namespaces: [...desiredNamespaces].sort(),
    updatedAt: '',
  };
}

/** Written after an apply failed and undoing it failed too: the lab needs `recover` or `destroy`. */
export function failedEntry(
  prefix: string,
  lab: Lab,
  entry: JournalEntry | undefined,
  desiredNamespaces: readonly string[],
  error: string,
): JournalEntry {
  return {
    version: 1,
    prefix,
    name: lab.name,
    status: 'failed',
    revision: entry?.revision ?? 0,
    lab: entry?.lab,
    ...(entry?.managed ? { managed: entry.managed } : {}),
    pending: lab,
    namespaces: mayOwn(entry, desiredNamespaces),
    updatedAt: '',
    error,
  };
}

/** After a failed apply was undone: the previous entry as it was (applied, nothing pending). */
export function restoredEntry(entry: JournalEntry): JournalEntry {
  return { ...entry, status: 'applied', pending: undefined, updatedAt: '' };
}

/** Written before a destroy deletes anything: an interrupted destroy is finished by `recover`. */
export function destroyingEntry(entry: JournalEntry): JournalEntry {
  return { ...entry, status: 'destroying', updatedAt: '' };
}
