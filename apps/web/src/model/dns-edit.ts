// Editing a node's DNS (topology dns.ts) in the inspector: the resolver mode (none, settings,
// docker), the lists typed as text, and serving DNS. Pure: each returns the new node spec.
import type { DnsResolverSpec, DnsServerSpec, NetNodeSpec } from '@patchbay/topology';

export type ResolverMode = 'none' | 'custom' | 'docker';

export const resolverMode = (spec: NetNodeSpec): ResolverMode =>
  spec.dns === undefined ? 'none' : spec.dns === 'docker' ? 'docker' : 'custom';

/** `spec` without `key` when `value` is undefined, with it otherwise. */
function withField<K extends keyof NetNodeSpec>(
  spec: NetNodeSpec,
  key: K,
  value: NetNodeSpec[K] | undefined,
): NetNodeSpec {
  const out = { ...spec };
  if (value === undefined) delete out[key];
  else out[key] = value;
  return out;
}

/** A new resolver mode; `custom` starts from the node's DNS server address when the lab has one. */
export function setResolverMode(spec: NetNodeSpec, mode: ResolverMode, serverAddress?: string): NetNodeSpec {
  if (mode === resolverMode(spec)) return spec;
  if (mode === 'none') return withField(spec, 'dns', undefined);
  if (mode === 'docker') return withField(spec, 'dns', 'docker');
  return withField(spec, 'dns', serverAddress ? { nameservers: [serverAddress] } : {});
}

/** Words of a list typed as text: separated by spaces or commas, blanks dropped. */
export const listWords = (text: string): string[] => text.split(/[\s,]+/).filter((w) => w !== '');

/** Sets one field of the resolver settings (an empty list or no ndots removes it). */
export function setResolverField<K extends keyof DnsResolverSpec>(
  spec: NetNodeSpec,
  key: K,
  value: DnsResolverSpec[K] | undefined,
): NetNodeSpec {
  const dns: DnsResolverSpec = spec.dns === undefined || spec.dns === 'docker' ? {} : { ...spec.dns };
  if (value === undefined || (Array.isArray(value) && value.length === 0)) delete dns[key];
  else dns[key] = value;
  return withField(spec, 'dns', dns);
}

/** Serving DNS on or off; a domain typed keeps the object form, none the plain `true`. */
export function setDnsServer(spec: NetNodeSpec, serve: boolean, domain?: string): NetNodeSpec {
  if (!serve) return withField(spec, 'dnsServer', undefined);
  const d = domain?.trim();
  const value: DnsServerSpec = d ? { domain: d } : true;
  return withField(spec, 'dnsServer', value);
}

export const dnsServerDomain = (spec: NetNodeSpec): string | undefined =>
  spec.dnsServer && spec.dnsServer !== true ? spec.dnsServer.domain : undefined;
