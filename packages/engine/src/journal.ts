// The journal: one JSON entry per lab under PATCHBAY_DATA (`labs/<prefix>/<lab>.json`), written
// before the kernel is touched (when it must be: apply.ts) and after every apply. It is how a lab
// is found again after a crash or restart, and what `export` prints. Writes are atomic: the entry
// is a symbolic link swapped to a new file (see `write`).
import type { BigIntStats } from 'node:fs';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lab } from '@patchbay/topology';
import { alive, unlinkQuietly } from './lock.js';

/** The namespaces whose iptables, ip6tables and ebtables a lab manages. */
export interface ManagedTables {
  iptables: string[];
  ip6tables: string[];
  ebtables: string[];
}

export type JournalStatus = 'applying' | 'applied' | 'failed' | 'destroying';

export interface JournalEntry {
  version: 1;
  prefix: string;
  name: string;
  status: JournalStatus;
  /** Increases with every apply that changed something. */
  revision: number;
  /** The lab as last applied successfully (undefined while a first apply is in flight). */
  lab?: Lab;
  /** The namespaces whose tables `lab` manages (absent in entries of older versions). */
  managed?: ManagedTables;
  /** The lab being applied while status is `applying`. */
  pending?: Lab;
  /** Every namespace this lab may own: last applied ∪ being applied. */
  namespaces: string[];
  updatedAt: string;
  error?: string;
}

/**
 * Counts the generations this process writes, whichever Journal writes them: two journals of the
 * same data directory in one process (a server and a CLI command in tests, say) gave the same name
 * to two generations written in the same millisecond.
 */
let generations = 0;

export class Journal {
  constructor(
    private readonly dir: string,
    private readonly prefix: string,
  ) {}

  private get folder(): string {
    return join(this.dir, 'labs', this.prefix); // prefixes are [a-z0-9-]: safe, and distinct folders
  }

  pathOf(name: string): string {
    return join(this.folder, `${name}.json`);
  }

  lockPathOf(name: string): string {
    return join(this.folder, `${name}.lock`);
  }

  /**
   * Each lab's entry as last read or written here (`readShared`), with the file's identity then:
   * its inode (a write renames a new file over it), size and modification time.
   */
  private readonly kept = new Map<string, KeptEntry>();

  /**
   * The lab's entry for an apply: read-only (deep-frozen) and the same object for as long as the
   * file is the one last read or written here, where `read` parses it every time (~0.7 ms of an
   * incremental change to a 200-node lab). A file another process wrote is read again.
   */
  async readShared(name: string): Promise<JournalEntry | undefined> {
    let st: BigIntStats;
    try {
      st = statSync(this.pathOf(name), { bigint: true }); // one syscall: cheaper than a thread-pool round trip
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.kept.delete(name);
      return undefined;
    }
    const kept = this.kept.get(name);
    if (kept?.identity === identityOf(st)) return parsed(kept);
    // Replaced between the stat and the read: kept under the older identity, so read again next time.
    const entry = await this.read(name);
    if (entry) this.kept.set(name, { identity: identityOf(st), entry: deepFreeze(entry) });
    else this.kept.delete(name);
    return entry;
  }

  async read(name: string): Promise<JournalEntry | undefined> {
    let entry: JournalEntry;
    try {
      entry = JSON.parse(await readFile(this.pathOf(name), 'utf8')) as JournalEntry;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      if (!(e instanceof SyntaxError)) throw e;
      // Written but not on disk when the power went (the new generation empty): the one before.
      try {
        entry = JSON.parse(await readFile(`${this.pathOf(name)}.prev`, 'utf8')) as JournalEntry;
      } catch {
        throw new Error(`the journal entry of lab ${name} (${this.pathOf(name)}) is unreadable: ${e.message}`);
      }
    }
    return entry.prefix === this.prefix ? entry : undefined;
  }

  private folderMade = false;
  /** Labs whose generations a crash may have left behind were looked for (once per lab and process). */
  private readonly swept = new Set<string>();

  /**
   * Writes `entry` atomically: its text goes to a new file (a generation, `<lab>.json.<pid>-<n>`),
   * and `<lab>.json`, a symbolic link, is swapped to it by a rename; the generation it replaced
   * stays as `<lab>.json.prev` (read if the current one is unreadable: a power loss can leave a
   * recent file empty). Renaming a new regular file over the old one, as this did before, made
   * ext4 write the new file's data out at once (its auto_da_alloc): 0.6 ms of every apply at 200
   * nodes; a link renamed over a link costs ~10 µs. Synchronous inside: ~0.1 ms in all, where the
   * same calls through the thread pool took 0.5–2 ms on the apply's path.
   */
  async write(entry: JournalEntry): Promise<void> {
    this.writeNow(entry);
    return Promise.resolve();
  }

  private writeNow(entry: JournalEntry): void {
    if (!this.folderMade) {
      mkdirSync(this.folder, { recursive: true, mode: 0o700 }); // the data directory: its owner's only
      this.folderMade = true;
    }
    const path = this.pathOf(entry.name);
    // Compact: it is written once or twice per apply, on the hot path of an incremental change.
    const text = JSON.stringify({ ...entry, updatedAt: new Date().toISOString() });
    const generation = `${entry.name}.json.${process.pid}-${Date.now().toString(36)}-${generations++}`;
    const fd = openSync(join(this.folder, generation), 'wx', 0o600);
    let st: BigIntStats;
    try {
      writeFileSync(fd, text);
      st = fstatSync(fd, { bigint: true }); // what `<lab>.json` now leads to (its inode, size, mtime)
    } finally {
      closeSync(fd);
    }
    const replaced = linkTarget(path); // undefined: no entry yet, or one written as a plain file
    const dropped = linkTarget(`${path}.prev`);
    swapLink(generation, path);
    if (replaced !== undefined) {
      swapLink(replaced, `${path}.prev`);
      if (dropped !== undefined && dropped !== replaced) unlinkQuietly(join(this.folder, dropped));
    }
    if (!this.swept.has(entry.name)) {
      this.swept.add(entry.name);
      this.sweep(entry.name, new Set([generation, replaced ?? generation]));
    }
    // An applied entry is what the next apply reads: kept, and parsed a little later, off this
    // apply's path and (unless the next apply comes at once) off the next one's.
    if (entry.status === 'applied') {
      const kept: KeptEntry = { identity: identityOf(st), text };
      this.kept.set(entry.name, kept);
      setTimeout(() => parsed(kept), PARSE_AFTER_MS).unref();
    } else this.kept.delete(entry.name);
  }

  /**
   * Removes what a process that died mid-write left of lab `name`'s entry: a generation it wrote
   * but never linked, or its half-made link. Each crash leaves one at most, but a server restarted
   * in a loop would pile them up (destroy removes them too, but a lab may live for weeks). Files of
   * another live process are left alone. Once per lab and process: a readdir on its first write.
   */
  private sweep(name: string, linked: ReadonlySet<string>): void {
    const own = `${name}.json.`;
    let files: string[];
    try {
      files = readdirSync(this.folder);
    } catch {
      return;
    }
    for (const f of files) {
      if (!f.startsWith(own) || linked.has(f)) continue;
      const m = /^(\d+)(?:-[0-9a-z]+-\d+|\.link)$/.exec(f.slice(own.length));
      const pid = Number(m?.[1]);
      // this process writes synchronously: one of its own not linked now was a write that failed
      if (m && (pid === process.pid || !alive(pid))) unlinkQuietly(join(this.folder, f));
    }
  }

  /** Where the scenario a lab was started from is kept (exercise.ts); it goes with the lab. */
  exercisePathOf(name: string): string {
    return join(this.folder, `${name}.exercise`);
  }

  async remove(name: string): Promise<void> {
    this.kept.delete(name);
    // the link, its generations (current, previous, any a crash left) and the exercise record
    const own = `${name}.json`;
    const files = await readdir(this.folder).catch(() => [] as string[]);
    for (const f of files)
      if (f === own || f.startsWith(`${own}.`)) await unlink(join(this.folder, f)).catch(() => undefined);
    await unlink(this.exercisePathOf(name)).catch(() => undefined);
  }

  async list(): Promise<JournalEntry[]> {
    let files: string[];
    try {
      files = await readdir(this.folder);
    } catch {
      return [];
    }
    const entries = await Promise.all(
      files.filter((f) => f.endsWith('.json')).map((f) => this.read(f.slice(0, -'.json'.length))),
    );
    return entries.filter((e): e is JournalEntry => e !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** Where the symbolic link at `path` leads (a name in the same folder), or undefined. */
function linkTarget(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined; // none, or a plain file (an entry written before generations)
  }
}

/** Points the link at `path` to `target`, atomically (a new link renamed over it). */
function swapLink(target: string, path: string): void {
  const tmp = `${path}.${process.pid}.link`;
  unlinkQuietly(tmp); // one a crash left here
  symlinkSync(target, tmp);
  renameSync(tmp, path);
}

/** An entry as last read or written, with the file's identity then; its text until it is parsed. */
interface KeptEntry {
  identity: string;
  entry?: JournalEntry;
  text?: string;
}

const PARSE_AFTER_MS = 20;

function parsed(kept: KeptEntry): JournalEntry {
  if (kept.entry === undefined) {
    kept.entry = deepFreeze(JSON.parse(kept.text!) as JournalEntry);
    kept.text = undefined;
  }
  return kept.entry;
}

function identityOf(st: BigIntStats): string {
  return `${st.ino}:${st.size}:${st.mtimeNs}`;
}

/** `value` and everything in it made read-only (a shared entry must not change under its readers). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
