// Whose a namespace is. Names alone cannot tell (prefix `pb-t-` + lab `x` and prefix `pb-` + lab
// `t-x` both give `pb-t-x.…`): every namespace the engine makes carries a marker, the alias of its
// loopback, `patchbay:v1:<prefix>:<lab>:<node>`, written in the apply that creates it.
import { listNamespaces, observeNamespaces } from '@patchbay/kernel';
import { NAME_RE, type KernelState } from '@patchbay/topology';
import type { JournalEntry } from './journal.js';

/**
 * The lab a namespace of `prefix` would belong to by its name (`<prefix><lab>.<node>`), or
 * undefined when the name cannot be a lab's (no dot, or not a lab name before it): `destroy <lab>`
 * finds exactly the namespaces this names.
 */
export function labOfNamespace(prefix: string, ns: string): string | undefined {
  if (!ns.startsWith(prefix)) return undefined;
  const rest = ns.slice(prefix.length);
  const dot = rest.indexOf('.');
  if (dot <= 0) return undefined;
  const lab = rest.slice(0, dot);
  return NAME_RE.test(lab) ? lab : undefined;
}

/** Whether namespace `ns` (as seen in `seen`) belongs to lab `lab` of prefix `prefix`. */
export function isOurs(seen: KernelState, ns: string, prefix: string, lab: string): boolean {
  const alias = seen.namespaces[ns]?.links.lo?.alias ?? '';
  const parts = alias.split(':');
  if (!alias) return true; // unmarked: half-made by a crashed apply of this lab name
  return parts[0] === 'patchbay' && parts[2] === prefix && parts[3] === lab;
}

/**
 * The namespaces of lab `name` present now: those its journal records, plus unrecorded ones of its
 * name whose marker says they are this lab's (or that carry none: a crashed apply's).
 */
export async function ownedNamespaces(
  prefix: string,
  name: string,
  entry: JournalEntry | undefined,
  opts: { concurrency?: number } = {},
): Promise<string[]> {
  const present = await listNamespaces(`${prefix}${name}.`);
  const known = new Set(entry?.namespaces ?? []);
  const unknown = present.filter((n) => !known.has(n));
  const ours = new Set(present.filter((n) => known.has(n)));
  if (unknown.length) {
    const seen = await observeNamespaces(unknown, { concurrency: opts.concurrency });
    for (const n of unknown) if (isOurs(seen, n, prefix, name)) ours.add(n);
  }
  return [...ours].sort();
}
