// examples/dns.yaml through the real CLI (prefix pbcdns-): a DNS server node, a plain resolver, a
// Kubernetes-style ndots:5 resolver and Docker's embedded DNS; names resolve with `patchbay exec`
// (the `ip netns exec` way: /etc/netns/NS/resolv.conf); `export --script` writes the resolver files
// and starts the servers; destroy leaves no resolver file.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { examplePath, useCliEnv } from './test-helpers.js';

const PREFIX = 'pbcdns-';
const t = useCliEnv(PREFIX);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function lookup(node: string, name: string): Promise<string> {
  let out = '';
  for (let i = 0; i < 20; i++) {
    const r = await t.run(['exec', 'dns', node, '--', 'getent', 'hosts', name]);
    out = r.stdout.trim();
    if (r.code === 0) break;
    await sleep(250);
  }
  return out;
}

describe('examples/dns.yaml through the CLI', () => {
  it('every container resolves the lab names its own way; the script writes the same; destroy leaves nothing', async () => {
    const first = await t.run(['apply', examplePath('dns.yaml')]);
    expect(first.code, first.stderr).toBe(0);
    const again = await t.run(['apply', examplePath('dns.yaml')]);
    expect(again.stdout).toContain('dns: already up to date');

    expect(await lookup('web', 'pod')).toMatch(/^10\.0\.0\.20\s+pod/);
    expect(await lookup('pod', 'web')).toMatch(/^10\.0\.0\.10\s+web\.lab\.internal/); // through the search list
    expect(await lookup('app', 'ns1')).toMatch(/^10\.0\.0\.53\s+ns1/); // 127.0.0.11 inside app
    const page = await t.run(['exec', 'dns', 'pod', '--', 'curl', '-s', '-m', '5', 'http://web/index.html']);
    expect(page.stdout).toContain('hello from web');

    // the state: each node's resolver file, the server and the queries it saw
    const state = await t.run(['state', 'dns']);
    expect(state.stdout).toContain('resolv.conf options ndots:5');
    expect(state.stdout).toContain('resolv.conf nameserver 127.0.0.11');
    expect(state.stdout).toMatch(/run dns-server running/);
    const json = JSON.parse((await t.run(['state', 'dns', '--json'])).stdout) as {
      nodes: { node: string; resolvConf?: string; processes?: { name: string; output: string }[] }[];
    };
    const ns1 = json.nodes.find((n) => n.node === 'ns1')!;
    expect(ns1.resolvConf).toBeUndefined();
    const server = ns1.processes!.find((p) => p.name === 'dns-server')!;
    expect(server.output).toMatch(/query\[A\] web\.default\.svc\.cluster\.local from 10\.0\.0\.20/); // ndots:5 at work
    expect(json.nodes.find((n) => n.node === 'pod')!.resolvConf).toContain(
      'search default.svc.cluster.local lab.internal',
    );

    const script = await t.run(['export', 'dns', '--script']);
    expect(script.code).toBe(0);
    expect(script.stdout).toContain(
      "mkdir -p /etc/netns/pbcdns-dns.pod && printf '%s\\n' '# written by Patchbay from the lab file (dns:)' 'nameserver 10.0.0.53' 'search default.svc.cluster.local lab.internal' 'options ndots:5' > /etc/netns/pbcdns-dns.pod/resolv.conf",
    );
    expect(script.stdout).toMatch(
      /ip netns exec pbcdns-dns\.ns1 setsid sh -c 'exec dnsmasq .*--host-record=web,web\.lab\.internal,10\.0\.0\.10/,
    );
    expect(script.stdout).toMatch(
      /ip netns exec pbcdns-dns\.app setsid sh -c 'exec dnsmasq .*--listen-address=127\.0\.0\.11/,
    );

    const gone = await t.run(['destroy', 'dns']);
    expect(gone.code, gone.stderr).toBe(0);
    expect(readdirSync('/etc/netns').filter((n) => n.startsWith(PREFIX))).toEqual([]);
    expect(existsSync('/etc/netns/pbcdns-dns.pod')).toBe(false);
  });
});
