// The mTLS settings (agents/tls.ts) without any server: which role a certificate's subjectAltName
// names, who may act as whom, and PATCHBAY_AGENT_TLS_* read and checked at start — with a
// throw-away CA and certificates made by openssl in a temporary folder (removed after). The same
// links between real processes: apps/cli/src/agents-mtls.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentTlsFromEnv, identityOf, identityProblem } from './agents/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'patchbay-tls-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8', cwd: dir });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
}
const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
openssl([
  'req',
  '-x509',
  ...ec,
  '-keyout',
  'ca.key',
  '-out',
  'ca.crt',
  '-days',
  '30',
  '-subj',
  '/CN=ca',
  '-addext',
  'basicConstraints=critical,CA:TRUE',
]);
function issue(name: string, san: string): void {
  openssl(['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '10',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
}
issue('coordinator', 'URI:urn:patchbay:coordinator,DNS:coordinator.example');
issue('two-roles', 'URI:urn:patchbay:coordinator,URI:urn:patchbay:agent:one');
const env = (name: string) => ({
  PATCHBAY_AGENT_TLS_CA: join(dir, 'ca.crt'),
  PATCHBAY_AGENT_TLS_CERT: join(dir, `${name}.crt`),
  PATCHBAY_AGENT_TLS_KEY: join(dir, `${name}.key`),
});

describe('roles in certificates', () => {
  it('reads the one Patchbay role a subjectAltName names', () => {
    expect(identityOf('DNS:x.example, URI:urn:patchbay:coordinator')).toEqual({ role: 'coordinator' });
    expect(identityOf('URI:urn:patchbay:agent:lab-3.example')).toEqual({ role: 'agent', name: 'lab-3.example' });
    expect(identityOf('URI:urn:patchbay:agent')).toEqual({ role: 'agent', name: undefined });
    expect(identityOf('DNS:coordinator')).toMatch(/names no Patchbay role/);
    expect(identityOf(undefined)).toMatch(/names no Patchbay role/);
    expect(identityOf('URI:urn:patchbay:coordinator, URI:urn:patchbay:agent')).toMatch(/more than one/);
    expect(identityOf('URI:urn:patchbay:agent:Lab_3')).toMatch(/is not an agent name/);
    // An entry Node writes quoted (it holds a comma) is nobody's.
    expect(identityOf('URI:"urn:patchbay:coordinator,x"')).toMatch(/names no Patchbay role/);
  });

  it('an agent acts only as itself, a named one only under its name', () => {
    const agent = (name?: string) => ({ role: 'agent' as const, name });
    expect(identityProblem({ role: 'coordinator' }, { role: 'coordinator' })).toBeUndefined();
    expect(identityProblem(agent('one'), { role: 'coordinator' })).toMatch(/the agent one's, not a coordinator's/);
    expect(identityProblem({ role: 'coordinator' }, agent('one'))).toMatch(/a coordinator's, not the agent one's/);
    expect(identityProblem(agent('one'), agent('one'))).toBeUndefined();
    expect(identityProblem(agent('one'), agent('two'))).toMatch(/the agent one's, not the agent two's/);
    expect(identityProblem(agent(undefined), agent('two'))).toBeUndefined();
    expect(identityProblem(agent('one'), agent(undefined))).toBeUndefined();
    expect(identityProblem('it names no Patchbay role', agent('one'))).toMatch(/not a Patchbay certificate/);
  });
});

describe('PATCHBAY_AGENT_TLS_* at start', () => {
  it('none set: no mTLS; a coordinator certificate for serve', () => {
    expect(agentTlsFromEnv({}, { role: 'coordinator' })).toBeUndefined();
    const tls = agentTlsFromEnv(env('coordinator'), { role: 'coordinator' });
    expect(tls?.identity).toEqual({ role: 'coordinator' });
    expect(tls?.cert.toString()).toMatch(/BEGIN CERTIFICATE/);
  });

  it('refuses a certificate not valid now, and one naming two roles', () => {
    const later = Date.now() + 20 * 86_400_000;
    expect(() => agentTlsFromEnv(env('coordinator'), { role: 'coordinator' }, later)).toThrow(
      /PATCHBAY_AGENT_TLS_CERT \(.*coordinator\.crt\) expired on/,
    );
    const earlier = Date.now() - 86_400_000;
    expect(() => agentTlsFromEnv(env('coordinator'), { role: 'coordinator' }, earlier)).toThrow(/is not valid before/);
    expect(() => agentTlsFromEnv(env('two-roles'), { role: 'coordinator' })).toThrow(/more than one Patchbay role/);
  });
});
