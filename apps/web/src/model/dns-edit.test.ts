import { describe, expect, it } from 'vitest';
import type { NetNodeSpec } from '@patchbay/topology';
import { dnsServerDomain, listWords, resolverMode, setDnsServer, setResolverField, setResolverMode } from './dns-edit';

const node: NetNodeSpec = { kind: 'netns' };

describe('editing DNS in the inspector', () => {
  it('switches the resolver between none, settings (starting from the lab server) and docker', () => {
    expect(resolverMode(node)).toBe('none');
    const custom = setResolverMode(node, 'custom', '10.0.0.53');
    expect(custom).toEqual({ kind: 'netns', dns: { nameservers: ['10.0.0.53'] } });
    expect(resolverMode(custom)).toBe('custom');
    const docker = setResolverMode(custom, 'docker');
    expect(docker).toEqual({ kind: 'netns', dns: 'docker' });
    expect(setResolverMode(docker, 'none')).toEqual({ kind: 'netns' });
    expect(setResolverMode(docker, 'docker')).toBe(docker);
  });

  it('sets nameservers, search and ndots; empty removes the field', () => {
    let s = setResolverField(node, 'search', listWords('default.svc.cluster.local,  svc.cluster.local cluster.local'));
    s = setResolverField(s, 'ndots', 5);
    expect(s.dns).toEqual({ search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], ndots: 5 });
    s = setResolverField(s, 'search', listWords('  '));
    s = setResolverField(s, 'ndots', undefined);
    expect(s.dns).toEqual({});
  });

  it('turns serving DNS on (with or without a domain) and off', () => {
    expect(setDnsServer(node, true)).toEqual({ kind: 'netns', dnsServer: true });
    const withDomain = setDnsServer(node, true, ' lab.internal ');
    expect(withDomain.dnsServer).toEqual({ domain: 'lab.internal' });
    expect(dnsServerDomain(withDomain)).toBe('lab.internal');
    expect(setDnsServer(withDomain, false)).toEqual({ kind: 'netns' });
  });
});
