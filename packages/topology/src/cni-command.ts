// The command a person would type for a `cni` op (cni.ts): the `cni` case of opCommand, and the
// CNI contract's environment the kernel driver passes to the plugin. Apart from cni.ts so that
// plan-types.ts can use it without an import cycle.
import { CNI_PLUGIN_DIR, type CniPlugin } from './model-cni.js';

/** What a `cni` op carries (Op.cni). */
export interface CniOpDetail {
  command: 'ADD' | 'DEL';
  key: string;
  containerNs: string;
  ifname: string;
  containerId: string;
  plugin: CniPlugin;
  /** DEL only: the bridge plugin never deletes its bridge; Patchbay does when no attachment uses it any more. */
  removeBridge?: string;
}

/** Where a namespace's bind mount lives (CNI_NETNS, and nsenter's --net). */
export const netnsPath = (ns: string): string => `/run/netns/${ns}`;

/** The environment a plugin runs with (the CNI contract's parameters). */
export function cniEnvironment(detail: {
  command: 'ADD' | 'DEL' | 'CHECK';
  containerNs: string;
  ifname: string;
  containerId: string;
}): Record<string, string> {
  return {
    CNI_COMMAND: detail.command,
    CNI_CONTAINERID: detail.containerId,
    CNI_NETNS: netnsPath(detail.containerNs),
    CNI_IFNAME: detail.ifname,
    CNI_PATH: CNI_PLUGIN_DIR,
  };
}

/** The PATH a plugin runs with (the kernel driver's children's). */
export const CNI_CHILD_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * `env`'s arguments for a plugin call: a clean environment holding the contract's variables and a
 * PATH, nothing of the caller's. The kernel driver runs exactly these; the plan shows them.
 */
export function cniEnvArgs(detail: Parameters<typeof cniEnvironment>[0]): string[] {
  return ['-i', `PATH=${CNI_CHILD_PATH}`, ...Object.entries(cniEnvironment(detail)).map(([k, v]) => `${k}=${v}`)];
}

/** A `cni` op as the command a person would type (plan, dry run, `export --script`). */
export function cniCommand(op: { ns: string; input?: string; cni?: CniOpDetail }): string {
  const d = op.cni!;
  const env = cniEnvArgs(d).join(' ');
  const config = JSON.stringify(JSON.parse(op.input ?? '{}'), null, 2);
  let line = `nsenter --net=${netnsPath(op.ns)} env ${env} ${CNI_PLUGIN_DIR}/${d.plugin} <<'EOF'\n${config}\nEOF`;
  if (d.removeBridge)
    line += `\nip -n ${op.ns} link del ${d.removeBridge}  # the bridge plugin's DEL leaves its bridge; its last user is gone`;
  return line;
}
