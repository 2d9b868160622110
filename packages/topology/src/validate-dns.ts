// Validation of `dns:` and `dnsServer:` (dns.ts). Codes: dns.nameserver.invalid,
// dns.nameservers.too-many, dns.search.invalid, dns.search.too-many, dns.ndots.range,
// dns.domain.invalid, dns.server-and-docker, dns.reserved-name (a `run:` line named as a DNS server's
// process), dns.no-records (warning: a DNS server with no names).
import { parseIPv4 } from './addr.js';
import { DOMAIN_RE, MAX_NAMESERVERS, MAX_NDOTS, MAX_SEARCH_DOMAINS, dnsRecords, isDnsProcessName } from './dns.js';
import type { Lab } from './model.js';
import { isBridge } from './model.js';

type Add = (path: string, code: string, message: string, severity?: 'warning') => void;

/** Checks every node's `dns:` and `dnsServer:`; `add` records a problem. */
export function checkDns(lab: Lab, add: Add): void {
  let servers = 0;
  for (const [node, spec] of Object.entries(lab.nodes ?? {})) {
    if (!spec || isBridge(spec)) continue;
    const base = `nodes.${node}`;
    (spec.run ?? []).forEach((line, i) => {
      if (typeof line === 'object' && line !== null && isDnsProcessName(line.name))
        add(
          `${base}.run[${i}].name`,
          'dns.reserved-name',
          `${JSON.stringify(line.name)} is the name of a DNS server's process (dnsServer:, dns: docker): choose another`,
        );
    });
    if (spec.dnsServer) {
      servers++;
      const domain = spec.dnsServer === true ? undefined : spec.dnsServer.domain;
      if (domain !== undefined && !DOMAIN_RE.test(domain))
        add(
          `${base}.dnsServer.domain`,
          'dns.domain.invalid',
          `${JSON.stringify(domain)} is not a domain name (lower-case labels of letters, digits and hyphens, separated by dots)`,
        );
      if (spec.dns === 'docker')
        add(
          `${base}.dns`,
          'dns.server-and-docker',
          `node ${node} runs a DNS server on port 53 of every address, so it cannot also have Docker's embedded DNS at 127.0.0.11: give it resolver settings instead`,
        );
    }
    const dns = spec.dns;
    if (dns === undefined || dns === 'docker') continue;
    (dns.nameservers ?? []).forEach((n, i) => {
      if (parseIPv4(n) === undefined)
        add(`${base}.dns.nameservers[${i}]`, 'dns.nameserver.invalid', `${JSON.stringify(n)} is not an IPv4 address`);
    });
    if ((dns.nameservers ?? []).length > MAX_NAMESERVERS)
      add(
        `${base}.dns.nameservers`,
        'dns.nameservers.too-many',
        `${dns.nameservers!.length} name servers; the resolver uses at most ${MAX_NAMESERVERS}`,
      );
    (dns.search ?? []).forEach((d, i) => {
      if (typeof d !== 'string' || !DOMAIN_RE.test(d))
        add(
          `${base}.dns.search[${i}]`,
          'dns.search.invalid',
          `${JSON.stringify(d)} is not a domain name (lower-case labels of letters, digits and hyphens, separated by dots)`,
        );
    });
    if ((dns.search ?? []).length > MAX_SEARCH_DOMAINS)
      add(
        `${base}.dns.search`,
        'dns.search.too-many',
        `${dns.search!.length} search domains; at most ${MAX_SEARCH_DOMAINS}`,
      );
    if (dns.ndots !== undefined && (!Number.isInteger(dns.ndots) || dns.ndots < 0 || dns.ndots > MAX_NDOTS))
      add(`${base}.dns.ndots`, 'dns.ndots.range', `ndots must be a whole number from 0 to ${MAX_NDOTS}`);
  }
  if (servers > 0 && dnsRecords(lab).length === 0)
    add(
      'nodes',
      'dns.no-records',
      'the lab runs a DNS server but no node has an address: it answers no name',
      'warning',
    );
}
