// What this kernel can do, probed once in a scratch namespace (and cached per kernel release).

import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { release } from 'node:os';
import { dirname } from 'node:path';
import { deleteNamespaces } from './namespaces.js';
import { parseBatchErrors, run, runInNamespace } from './process.js';
import { scratchNamespaceName } from './scratch.js';

import type { KernelFeature } from '@patchbay/topology';
import { CNI_PLUGIN_DIR, KERNEL_FEATURES } from '@patchbay/topology';

const CNI_BINARIES = ['bridge', 'ptp', 'macvlan', 'host-local'] as const;

export type { KernelFeature };

export interface Capabilities {
  features: Record<KernelFeature, boolean>;
  /** os.release() of the kernel probed. */
  kernel: string;
  /** Why each missing feature is missing (the tool's error). */
  errors?: Partial<Record<KernelFeature, string>>;
}

/** One `ip -force -batch` line per link feature; a failing line means the feature is missing. */
const LINK_PROBES: ReadonlyArray<[KernelFeature, string]> = [
  ['veth', 'link add pbcv0 type veth peer name pbcv1'],
  ['bridge', 'link add pbcb0 type bridge'],
  ['bridge-vlan-filtering', 'link add pbcb1 type bridge vlan_filtering 1'],
  ['bridge-stp', 'link add pbcb2 type bridge stp_state 1'],
  ['vxlan', 'link add pbcx0 type vxlan id 1 dstport 4789 local 127.0.0.1'],
  ['macvlan', 'link add pbcm0 link pbcv0 type macvlan mode bridge'], // on the veth made above
];

/**
 * Probes in ONE scratch namespace (`<scratchPrefix>_scratch.caps-<pid>`, see scratch.ts), deleted
 * afterwards; if this process is killed meanwhile, recovery removes it (removeStaleScratchNamespaces).
 */
export async function detectCapabilities(scratchPrefix: string): Promise<Capabilities> {
  const ns = scratchNamespaceName(scratchPrefix, 'caps');
  const features = {} as Record<KernelFeature, boolean>;
  const errors: Partial<Record<KernelFeature, string>> = {};
  try {
    const add = await run('ip', ['netns', 'add', ns]);
    if (add.code !== 0) throw new Error(`cannot create scratch namespace ${ns}: ${add.stderr.trim()}`);
    const r = await runInNamespace(ns, 'ip', ['-force', '-batch', '-'], {
      input: LINK_PROBES.map(([, l]) => `${l}\n`).join(''),
    });
    const { errors: lineErrors, trailing } = parseBatchErrors(r.stderr);
    if (r.code !== 0 && lineErrors.size === 0) throw new Error(`capability probe failed: ${trailing || r.code}`);
    LINK_PROBES.forEach(([feature], i) => {
      const err = lineErrors.get(i + 1);
      features[feature] = err === undefined;
      if (err !== undefined) errors[feature] = err;
    });
    const nat = await runInNamespace(ns, 'iptables', ['-t', 'nat', '-A', 'POSTROUTING', '-j', 'MASQUERADE']);
    features['iptables-nat'] = nat.code === 0;
    if (nat.code === 0) await runInNamespace(ns, 'iptables', ['-t', 'nat', '-D', 'POSTROUTING', '-j', 'MASQUERADE']);
    else errors['iptables-nat'] = nat.stderr.trim() || `iptables exited with ${nat.code}`;
    // ip6tables: IPv6's nat table (a kernel without IPv6, or without its netfilter, refuses it).
    const nat6 = await runInNamespace(ns, 'ip6tables', ['-t', 'nat', '-A', 'POSTROUTING', '-j', 'MASQUERADE']);
    features.ip6tables = nat6.code === 0;
    if (nat6.code === 0) await runInNamespace(ns, 'ip6tables', ['-t', 'nat', '-D', 'POSTROUTING', '-j', 'MASQUERADE']);
    else errors.ip6tables = nat6.stderr.trim() || `ip6tables exited with ${nat6.code}`;
    // ebtables (here ebtables-nft): a rule in the bridge family's filter table, then gone again.
    const eb = await runInNamespace(ns, 'ebtables', ['-A', 'FORWARD', '-j', 'ACCEPT']);
    features.ebtables = eb.code === 0;
    if (eb.code === 0) await runInNamespace(ns, 'ebtables', ['-D', 'FORWARD', '-j', 'ACCEPT']);
    else errors.ebtables = eb.stderr.trim() || `ebtables exited with ${eb.code}`;
    // The reference CNI plugins a lab's `cni:` runs (a package, not the kernel: infra/setup.sh installs it).
    const missing = CNI_BINARIES.filter((b) => !existsSync(`${CNI_PLUGIN_DIR}/${b}`));
    features['cni-plugins'] = missing.length === 0;
    if (missing.length > 0)
      errors['cni-plugins'] =
        `missing in ${CNI_PLUGIN_DIR}: ${missing.join(', ')} (apt-get install containernetworking-plugins)`;
  } finally {
    await deleteNamespaces([ns]);
  }
  const caps: Capabilities = { features, kernel: release() };
  if (Object.keys(errors).length > 0) caps.errors = errors;
  return caps;
}

/** Capabilities from `cacheFile` (JSON keyed by kernel release), detected and saved on a miss. */
export async function loadOrDetectCapabilities(scratchPrefix: string, cacheFile: string): Promise<Capabilities> {
  const kernel = release();
  let cache: Record<string, Capabilities> = {};
  try {
    const parsed: unknown = JSON.parse(await readFile(cacheFile, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) cache = parsed as Record<string, Capabilities>;
  } catch {
    /* missing or unreadable: detect */
  }
  const hit = cache[kernel];
  // An entry from before a feature was known (no answer for it) is a miss: detect again.
  const complete = (f: Record<string, unknown>) => KERNEL_FEATURES.every((k) => typeof f[k] === 'boolean');
  if (hit && hit.kernel === kernel && hit.features && typeof hit.features === 'object' && complete(hit.features))
    return hit;
  const caps = await detectCapabilities(scratchPrefix);
  cache[kernel] = caps;
  await mkdir(dirname(cacheFile), { recursive: true, mode: 0o700 }); // the data directory: its owner's only
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(cache, null, 2) + '\n');
  await rename(tmp, cacheFile);
  return caps;
}
