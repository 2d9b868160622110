// Runs a reference CNI plugin (Debian's containernetworking-plugins, /usr/lib/cni) with the CNI
// contract: CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH in a clean environment,
// the network config JSON on stdin, the result (or error) JSON on stdout. The plugin's own network
// namespace is the HOST node's (nsenter --net): whatever it makes outside the container (the bridge
// plugin's bridge and veth ends, ptp's veth end, the forwarding sysctl) lands there, never in the
// machine's root namespace. CNI_NETNS names the container's namespace, which the plugin enters itself.
import { namespacePath, run } from './process.js';
import { CNI_PLUGIN_DIR, type CniPlugin, type CniResult, cniEnvArgs } from '@patchbay/topology';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK';

export interface CniCall {
  command: CniCommand;
  plugin: CniPlugin;
  /** The host node's namespace: the plugin runs in it. */
  hostNs: string;
  /** The container's namespace (CNI_NETNS). */
  containerNs: string;
  ifname: string;
  containerId: string;
  /** The network config (CHECK: with `prevResult`). */
  config: Record<string, unknown>;
  timeoutMs?: number;
}

export type CniOutcome = { ok: true; result?: CniResult } | { ok: false; error: string };

const PLUGINS: readonly CniPlugin[] = ['bridge', 'ptp', 'macvlan'];
const CONTAINER_ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/; // the CNI spec's rule
const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

/** The argv that runs one plugin call (no shell: every value is its own argument). */
export function cniArgv(call: CniCall): string[] {
  if (!PLUGINS.includes(call.plugin)) throw new Error(`unknown CNI plugin ${JSON.stringify(call.plugin)}`);
  if (!CONTAINER_ID_RE.test(call.containerId))
    throw new Error(`invalid CNI container id ${JSON.stringify(call.containerId)}`);
  if (!IFNAME_RE.test(call.ifname)) throw new Error(`invalid interface name ${JSON.stringify(call.ifname)}`);
  namespacePath(call.containerNs); // validates the name
  return [`--net=${namespacePath(call.hostNs)}`, '--', 'env', ...cniEnvArgs(call), `${CNI_PLUGIN_DIR}/${call.plugin}`];
}

/** The plugin's error in words: its JSON error's msg (and details), else what it printed. */
function pluginError(stdout: string, stderr: string, code: number): string {
  try {
    const e = JSON.parse(stdout) as { code?: number; msg?: string; details?: string };
    if (e.msg) return `${e.msg}${e.details ? `: ${e.details}` : ''} (CNI error ${e.code ?? '?'})`;
  } catch {
    /* not JSON */
  }
  return (stderr.trim() || stdout.trim() || `exited with ${code}`).slice(0, 2000);
}

/** Runs one plugin call; resolves to its result (ADD), nothing (DEL, CHECK), or its error. */
export async function runCniPlugin(call: CniCall): Promise<CniOutcome> {
  const r = await run('nsenter', cniArgv(call), {
    input: JSON.stringify(call.config),
    timeoutMs: call.timeoutMs ?? 30_000,
    maxOutputBytes: 1024 * 1024,
  });
  if (r.code !== 0) return { ok: false, error: pluginError(r.stdout, r.stderr, r.code) };
  if (call.command !== 'ADD') return { ok: true };
  try {
    return { ok: true, result: JSON.parse(r.stdout) as CniResult };
  } catch {
    return { ok: false, error: `the plugin's result is not JSON: ${r.stdout.slice(0, 500)}` };
  }
}

/** Deletes a bridge the bridge plugin left (its DEL never removes it), in the host's namespace. */
export async function deleteCniBridge(hostNs: string, bridge: string): Promise<CniOutcome> {
  if (!IFNAME_RE.test(bridge)) throw new Error(`invalid bridge name ${JSON.stringify(bridge)}`);
  const r = await run('ip', ['-n', hostNs, 'link', 'del', bridge]);
  if (r.code !== 0 && !/Cannot find device/.test(r.stderr)) return { ok: false, error: r.stderr.trim() };
  return { ok: true };
}
