// A node's DNS in the inspector (topology dns.ts): whether it serves the lab's names (and in which
// domain), and its resolver: none, settings (nameservers, search, ndots), or Docker's embedded DNS.
// Problems (dns.*) show under the fields like any other.
import { DOCKER_DNS_ADDRESS, type Lab, type NetNodeSpec, dnsRecords, isBridge } from '@patchbay/topology';
import {
  dnsServerDomain,
  listWords,
  resolverMode,
  setDnsServer,
  setResolverField,
  setResolverMode,
} from '../../model/dns-edit';
import { CheckField, NumberField, SelectField, TextField } from './fields';

/** The first address of the lab's DNS server node (what a new resolver points at), if it has one. */
function serverAddress(lab: Lab): string | undefined {
  const server = Object.entries(lab.nodes).find(([, s]) => !isBridge(s) && s.dnsServer)?.[0];
  return server ? dnsRecords(lab).find((r) => r.name === server)?.addresses[0] : undefined;
}

export function DnsFields(props: {
  lab: Lab;
  path: string;
  spec: NetNodeSpec;
  onChange: (edit: (spec: NetNodeSpec) => NetNodeSpec) => void;
}) {
  const { lab, path, spec, onChange } = props;
  const mode = resolverMode(spec);
  const dns = spec.dns !== undefined && spec.dns !== 'docker' ? spec.dns : undefined;
  return (
    <fieldset className="pb-list-editor" data-testid="inspector-dns">
      <legend>DNS</legend>
      <CheckField
        label="Serves DNS for the lab"
        path={`${path}.dnsServer`}
        checked={!!spec.dnsServer}
        testid="dns-server"
        hint="dnsmasq in this node answers every node name with its addresses; no upstream"
        onChange={(on) => onChange((s) => setDnsServer(s, on, dnsServerDomain(s)))}
      />
      {spec.dnsServer && (
        <TextField
          label="DNS domain"
          path={`${path}.dnsServer.domain`}
          value={dnsServerDomain(spec)}
          placeholder="lab.internal"
          testid="dns-domain"
          onCommit={(t) => onChange((s) => setDnsServer(s, true, t))}
        />
      )}
      <SelectField
        label="Resolver"
        path={`${path}.dns`}
        value={mode}
        testid="dns-mode"
        options={[
          { value: 'none', label: 'none (no resolv.conf)' },
          { value: 'custom', label: 'settings (resolv.conf)' },
          { value: 'docker', label: `Docker embedded DNS (${DOCKER_DNS_ADDRESS})` },
        ]}
        onChange={(v) =>
          onChange((s) =>
            setResolverMode(s, v === 'docker' ? 'docker' : v === 'custom' ? 'custom' : 'none', serverAddress(lab)),
          )
        }
      />
      {dns && (
        <>
          <TextField
            label="Name servers"
            path={`${path}.dns.nameservers`}
            value={(dns.nameservers ?? []).join(' ')}
            placeholder="10.0.0.53"
            testid="dns-nameservers"
            mono
            onCommit={(t) => onChange((s) => setResolverField(s, 'nameservers', listWords(t)))}
          />
          <TextField
            label="Search domains"
            path={`${path}.dns.search`}
            value={(dns.search ?? []).join(' ')}
            placeholder="default.svc.cluster.local"
            testid="dns-search"
            mono
            onCommit={(t) => onChange((s) => setResolverField(s, 'search', listWords(t)))}
          />
          <NumberField
            label="ndots"
            path={`${path}.dns.ndots`}
            value={dns.ndots}
            placeholder="1"
            testid="dns-ndots"
            className="pb-narrow"
            onCommit={(v) => onChange((s) => setResolverField(s, 'ndots', v))}
          />
        </>
      )}
    </fieldset>
  );
}
