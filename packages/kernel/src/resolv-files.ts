// A node's private resolver file (topology dns.ts): /etc/netns/NS/resolv.conf, the place
// `ip netns exec NS` (and exec.ts) binds over /etc/resolv.conf, and the file every sandbox of the
// node (sandbox.ts: shells, `run:` processes, scenario steps) sees as its /etc/resolv.conf. It is
// owned by the node's sandbox user (its unique host uid, or the step user of a host node), so a
// student may edit it from inside as in a Docker container, whose resolv.conf is writable; nobody
// else can reach it. The engine rewrites it when it differs from the lab file.
import {
  chownSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isOwnedNamespace, ownedNamespaceUid } from './owned-namespaces.js';
import { assertNamespaceName, runInNamespace } from './process.js';
import { SANDBOX_HOST_UID } from './sandbox-etc.js';

export const NETNS_ETC_DIR = '/etc/netns';
/** A resolver file is read up to this size (a student may have written anything into it). */
export const MAX_RESOLV_CONF_BYTES = 64 * 1024;

/** The folder of namespace `ns`'s own /etc files. */
export function netnsEtcDir(ns: string): string {
  assertNamespaceName(ns);
  return `${NETNS_ETC_DIR}/${ns}`;
}
/** Namespace `ns`'s resolver file. */
export const resolvConfFile = (ns: string): string => `${netnsEtcDir(ns)}/resolv.conf`;

/** The content of `ns`'s resolver file, or undefined when there is none (or it is not a plain file). */
export function readResolvConf(ns: string): string | undefined {
  const path = resolvConfFile(ns);
  try {
    if (!lstatSync(path).isFile()) return undefined;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(MAX_RESOLV_CONF_BYTES);
      const n = readSync(fd, buf, 0, buf.length, 0);
      return buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** The host uid the sandboxes of `ns` run as (who may edit its resolver file). */
async function sandboxHostUid(ns: string): Promise<number> {
  if (!isOwnedNamespace(ns)) return SANDBOX_HOST_UID; // a host node's: its steps' user
  const uid = await ownedNamespaceUid(ns);
  if (uid === undefined) throw new Error(`namespace ${ns} has no sandbox user`);
  return uid;
}

/**
 * Writes `ns`'s resolver file, owned by the node's sandbox user. Replaced by rename: a sandbox
 * started before keeps the old file (as a container keeps the resolv.conf it started with).
 */
export async function writeResolvConf(ns: string, content: string): Promise<void> {
  const dir = netnsEtcDir(ns);
  const uid = await sandboxHostUid(ns);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = `${dir}/.resolv.conf.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o644 });
  chownSync(tmp, uid, uid);
  renameSync(tmp, resolvConfFile(ns));
}

/** Removes `ns`'s /etc/netns folder (its resolver file): when the node no longer has `dns:`, or its namespace went. */
export function removeNetnsEtc(ns: string): void {
  rmSync(netnsEtcDir(ns), { recursive: true, force: true });
}

/** The namespaces (among `names`) that have a resolver file. */
export function namespacesWithResolvConf(names: readonly string[]): string[] {
  return names.filter((ns) => readResolvConf(ns) !== undefined);
}

/**
 * Removes the /etc/netns folders of namespaces whose name starts with `prefix` (a destroyed lab's)
 * and that no longer exist (a prefix may be the start of another's: a live namespace's folder is
 * never touched); returns their names.
 */
/** The namespaces that have a folder of /etc files (one readdir: the names whose resolver file may exist). */
export function netnsEtcNames(): Set<string> {
  if (!existsSync(NETNS_ETC_DIR)) return new Set(); // asked on every apply: no error built for a missing folder
  try {
    return new Set(readdirSync(NETNS_ETC_DIR));
  } catch {
    return new Set();
  }
}

export function removeNetnsEtcWithPrefix(prefix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(NETNS_ETC_DIR);
  } catch {
    return [];
  }
  const ours = names.filter((n) => n.startsWith(prefix) && !existsSync(`/run/netns/${n}`));
  for (const ns of ours) removeNetnsEtc(ns);
  return ours;
}

/**
 * Waits until something in `ns` listens on UDP port `port` (a DNS server just started: its clients'
 * first lookups must not find the port closed), up to `timeoutMs`; resolves to whether it does.
 */
export async function waitForUdpListener(ns: string, port: number, timeoutMs = 15_000): Promise<boolean> {
  assertNamespaceName(ns);
  for (const end = Date.now() + timeoutMs; ; ) {
    const r = await runInNamespace(ns, 'ss', ['-H', '-u', '-l', '-n', `sport = :${port}`], { timeoutMs: 5000 }).catch(
      () => undefined,
    );
    if (r && r.code === 0 && r.stdout.trim() !== '') return true;
    if (Date.now() >= end) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
