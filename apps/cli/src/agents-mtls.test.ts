// mTLS between coordinators and agents, with real processes on loopback and a throw-away CA made by
// openssl (test/agent-certs.ts): with certificates and no secret, an agent registers on the
// coordinator's agent port, a lab is placed on it, applied, pinged and followed (tables, terminal)
// through the coordinator, and a terminal in it typed in; a client without a certificate gets nothing from the agent, an agent's
// certificate cannot call an agent as a coordinator; the secret and the certificates together
// need both; certificates of another CA are refused, and bad files stop the start.
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { io, type Socket } from 'socket.io-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ADMIN, cluster, SECRET, waitFor } from '../test/agent-cluster.js';
import { type CertFiles, pki } from '../test/agent-certs.js';
import { exampleText } from './test-helpers.js';

const PREFIXES = ['pma0-', 'pma1-', 'pma2-'] as const;
const c = cluster(PREFIXES);
const certs = pki();
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await c.cleanup();
});
afterAll(() => certs.cleanup());

const ca = certs.ca('pma-ca');
const coordinatorCert = certs.issue(ca, 'coordinator', ['urn:patchbay:coordinator']);
const agentOne = certs.issue(ca, 'agent-one', ['urn:patchbay:agent:one']);
const anyAgent = certs.issue(ca, 'agent-any', ['urn:patchbay:agent']);
const headers = { authorization: `Bearer ${ADMIN}` };
/** No secret at all: the certificates are the only proof. */
const NO_SECRET = { PATCHBAY_AGENT_SECRET: '' };

interface AgentRow {
  name: string;
  state: string;
  address: string;
}
async function agents(url: string): Promise<AgentRow[]> {
  const r = await fetch(`${url}/api/agents`, { headers });
  return ((await r.json()) as { agents: AgentRow[] }).agents;
}

/** One HTTPS request presenting `own` (or no certificate), trusting the test CA; the TLS error's code when it fails. */
function call(
  url: string,
  own: CertFiles | undefined,
  opts: { method?: string; path: string; bearer?: string; body?: string },
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const r = request(
      new URL(opts.path, url),
      {
        method: opts.method ?? 'GET',
        ca: readFileSync(ca.cert),
        ...(own ? { cert: readFileSync(own.cert), key: readFileSync(own.key) } : {}),
        checkServerIdentity: () => undefined,
        headers: {
          ...(opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {}),
          ...(opts.body ? { 'content-type': 'application/json' } : {}),
        },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    r.on('error', (e: Error & { code?: string }) => resolve({ error: e.code ?? e.message }));
    r.end(opts.body);
  });
}

const heartbeatOf = (name: string) =>
  JSON.stringify({
    protocol: 1,
    name,
    address: 'https://127.0.0.1:9',
    state: 'ready',
    prefix: 'pma9-',
    labs: [],
    namespaces: 0,
    headroom: { cpus: 1, load1: 0, cpuFree: 1, memoryFreeBytes: 1, memoryTotalBytes: 1 },
  });

describe('mTLS between coordinators and agents', () => {
  it('with certificates and no secret: an agent registers, holds a lab that is applied, pinged, followed and typed in through the coordinator', async () => {
    const { url, agentUrl } = await c.coordinator(['--no-local-agent', '--agent-port', '0'], {
      PATCHBAY_PREFIX: 'pma0-',
      ...NO_SECRET,
      ...certs.env(ca, coordinatorCert),
    });
    expect(agentUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    c.agent('one', 'pma1-', ['--coordinator', agentUrl!], { ...NO_SECRET, ...certs.env(ca, agentOne) });
    const [one] = await waitFor('the agent registered', 20_000, async () => {
      const list = await agents(url);
      return list.length === 1 && list[0]!.state === 'ready' ? list : undefined;
    });
    expect(one!.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const put = await fetch(`${url}/api/labs/pmalab`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/yaml' },
      body: exampleText('two-containers.yaml').replace('name: two-containers', 'name: pmalab'),
    });
    expect(put.status, await put.clone().text()).toBe(200);
    expect(put.headers.get('x-patchbay-agent')).toBe('one');
    const labs = (await (await fetch(`${url}/api/labs`, { headers })).json()) as {
      labs: { name: string; agent: string }[];
    };
    expect(labs.labs).toEqual([expect.objectContaining({ name: 'pmalab', agent: 'one' })]);

    const s = io(url, { path: '/socket.io/', auth: { token: ADMIN }, transports: ['websocket'] });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => {
      s.on('connect', resolve);
      s.on('connect_error', reject);
    });
    // A ping inside the lab on the agent, relayed over the coordinator's mTLS socket to it.
    const summary = new Promise<{ transmitted: number; received: number }>((resolve) =>
      s.on('ping:summary', (r: { id: string; transmitted: number; received: number }) => {
        if (r.id === 'pma-ping-0001') resolve(r);
      }),
    );
    expect(
      await s.emitWithAck('ping:start', {
        id: 'pma-ping-0001',
        lab: 'pmalab',
        node: 'ns-web',
        target: '192.168.100.20',
        count: 2,
        intervalMs: 200,
      }),
    ).toEqual({ ok: true, id: 'pma-ping-0001' });
    expect(await summary).toMatchObject({ transmitted: 2, received: 2 });
    // The tables: the agent's snapshot of its lab.
    const snapshot = new Promise<{ lab: string; state: { nodes: { node: string }[] } }>((resolve) =>
      s.on('tables:snapshot', resolve),
    );
    expect(await s.emitWithAck('tables:subscribe', { lab: 'pmalab' })).toMatchObject({ ok: true });
    expect((await snapshot).state.nodes.map((n) => n.node).sort()).toEqual(['_host', 'ns-db', 'ns-web']);

    // A terminal in ns-db on the agent: what is typed runs there, its output comes back (acknowledged).
    let output = '';
    s.on('terminal:output', (o: { id: string; data: string }, ack?: () => void) => {
      if (o.id === 'pma-term-0001') output += o.data;
      ack?.();
    });
    expect(
      await s.emitWithAck('terminal:open', { id: 'pma-term-0001', lab: 'pmalab', node: 'ns-db', cols: 80, rows: 24 }),
    ).toEqual({ ok: true, id: 'pma-term-0001' });
    s.emit('terminal:input', { id: 'pma-term-0001', data: 'echo mtls-$((6*7))\n' });
    await waitFor('the terminal output', 15_000, async () => (/mtls-42/.test(output) ? true : undefined));
    s.emit('terminal:close', { id: 'pma-term-0001' });

    // The agent's own API: nothing without a certificate (the TLS handshake fails) …
    const bare = await call(one!.address, undefined, { path: '/api/labs' });
    expect(bare).toHaveProperty('error');
    const health = await call(one!.address, undefined, { path: '/api/health' });
    expect(health).toHaveProperty('error');
    // … an agent's certificate is no coordinator's (the role in it is checked, not who signed it) …
    const asAgent = await call(one!.address, agentOne, { path: '/api/labs' });
    expect(asAgent).toMatchObject({ status: 401 });
    expect((asAgent as { body: string }).body).toMatch(/only a coordinator may call this agent.*agent one/);
    expect(await call(one!.address, anyAgent, { path: '/api/health' })).toMatchObject({ status: 200 });
    const agentSocket = io(one!.address, {
      path: '/socket.io/',
      transports: ['websocket'],
      reconnection: false,
      ca: readFileSync(ca.cert, 'utf8'),
      cert: readFileSync(agentOne.cert, 'utf8'),
      key: readFileSync(agentOne.key, 'utf8'),
      ...{ checkServerIdentity: () => undefined },
    });
    sockets.push(agentSocket);
    const refused = await new Promise<string>((resolve) => {
      agentSocket.on('connect', () => resolve('connected'));
      agentSocket.on('connect_error', (e) => resolve(e.message));
    });
    expect(refused).toMatch(/only a coordinator may call this agent/);
    // … and a coordinator's certificate alone opens it.
    expect(await call(one!.address, coordinatorCert, { path: '/api/labs' })).toMatchObject({ status: 200 });

    expect((await fetch(`${url}/api/labs/pmalab`, { method: 'DELETE', headers })).status).toBe(200);
  });

  it('the secret and the certificates together: each link needs both', async () => {
    const { url, agentUrl } = await c.coordinator(['--agent-port', '0'], {
      PATCHBAY_PREFIX: 'pma0-',
      ...certs.env(ca, coordinatorCert),
    });
    c.agent('one', 'pma1-', ['--coordinator', agentUrl!], certs.env(ca, agentOne));
    const one = await waitFor('the agent registered', 20_000, async () =>
      (await agents(url)).find((a) => a.name === 'one' && a.state === 'ready'),
    );
    // The agent port: the certificate without the secret is not enough, nor is the secret on the browsers' port.
    const noSecret = await call(agentUrl!, agentOne, {
      method: 'POST',
      path: '/api/agents/heartbeat',
      body: heartbeatOf('one'),
    });
    expect(noSecret).toMatchObject({ status: 401 });
    const mainPort = await fetch(`${url}/api/agents/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
      body: heartbeatOf('one'),
    });
    expect(mainPort.status).toBe(401);
    expect(await mainPort.text()).toMatch(/agent port/);
    // A certificate of the agent one cannot beat as another agent.
    const posing = await call(agentUrl!, agentOne, {
      method: 'POST',
      path: '/api/agents/heartbeat',
      bearer: SECRET,
      body: heartbeatOf('two'),
    });
    expect(posing).toMatchObject({ status: 403 });
    expect((await agents(url)).map((a) => a.name)).toEqual(['local', 'one']);
    // The agent's API: the coordinator's certificate needs the secret too, and the secret the certificate.
    expect(await call(one.address, coordinatorCert, { path: '/api/labs' })).toMatchObject({ status: 401 });
    expect(await call(one.address, agentOne, { path: '/api/labs', bearer: SECRET })).toMatchObject({ status: 401 });
    expect(await call(one.address, coordinatorCert, { path: '/api/labs', bearer: SECRET })).toMatchObject({
      status: 200,
    });
  });

  it('agents with certificates of another CA are refused, and their log says why', async () => {
    const otherCa = certs.ca('pma-other-ca');
    const { url, agentUrl, proc } = await c.coordinator(['--agent-port', '0'], {
      PATCHBAY_PREFIX: 'pma0-',
      ...NO_SECRET,
      ...certs.env(ca, coordinatorCert),
    });
    // Trusts both CAs, so it accepts the coordinator; its own certificate is the other CA's: the coordinator refuses it.
    const stray = c.agent('stray', 'pma1-', ['--coordinator', agentUrl!], {
      ...NO_SECRET,
      ...certs.env(
        certs.bundle('both-cas', [ca, otherCa]),
        certs.issue(otherCa, 'stray', ['urn:patchbay:agent:stray']),
      ),
    });
    // All of the other CA: it refuses the coordinator's certificate itself.
    const other = c.agent('other', 'pma2-', ['--coordinator', agentUrl!], {
      ...NO_SECRET,
      ...certs.env(otherCa, certs.issue(otherCa, 'other', ['urn:patchbay:agent:other'])),
    });
    await waitFor('both agents say why', 20_000, async () =>
      /the coordinator refused this agent's certificate/.test(stray.out) &&
      /not signed by the CA of PATCHBAY_AGENT_TLS_CA/.test(other.out)
        ? true
        : undefined,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nstray: ${stray.out}${stray.err}\nother: ${other.out}${other.err}`);
    });
    expect(proc.out).toMatch(/an agent was refused on the agent port/);
    expect(await agents(url)).toEqual([expect.objectContaining({ name: 'local' })]);
  });

  it('bad certificate settings stop the start with a clear message, before anything runs', async () => {
    const otherCa = certs.ca('pma-bad-ca');
    const foreign = certs.issue(otherCa, 'foreign', ['urn:patchbay:agent:one']);
    const agentArgs = ['agent', '--coordinator', 'https://127.0.0.1:9', '--name', 'one', '--port', '0'];
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        agentArgs,
        { PATCHBAY_AGENT_TLS_CA: ca.cert },
        /PATCHBAY_AGENT_TLS_CA, PATCHBAY_AGENT_TLS_CERT and PATCHBAY_AGENT_TLS_KEY go together/,
      ],
      [
        agentArgs,
        certs.env(ca, { cert: `${certs.dir}/missing.crt`, key: agentOne.key }),
        /cannot read PATCHBAY_AGENT_TLS_CERT/,
      ],
      [agentArgs, certs.env(agentOne.key, agentOne), /PATCHBAY_AGENT_TLS_CA .* holds no PEM certificate/],
      [agentArgs, certs.env(ca, { cert: agentOne.cert, key: anyAgent.key }), /is not the key of the certificate/],
      [agentArgs, certs.env(ca, foreign), /is not signed by the CA of PATCHBAY_AGENT_TLS_CA/],
      [agentArgs, certs.env(ca, coordinatorCert), /cannot serve here: it is a coordinator's, not the agent one's/],
      [
        [...agentArgs.slice(0, 4), 'two', '--port', '0'],
        certs.env(ca, agentOne),
        /the agent one's, not the agent two's/,
      ],
      [
        ['agent', '--coordinator', 'http://127.0.0.1:9', '--name', 'one', '--port', '0'],
        certs.env(ca, agentOne),
        /over HTTPS/,
      ],
      [['serve', '--port', '0'], certs.env(ca, anyAgent), /cannot serve here: it is any agent's, not a coordinator's/],
      [['serve', '--port', '0', '--agent-port', '0'], {}, /--agent-port.*needs PATCHBAY_AGENT_TLS/],
    ];
    for (const [args, env, message] of cases) {
      const r = await c.run(args, {
        PATCHBAY_PREFIX: 'pma1-',
        PATCHBAY_DATA: `${certs.dir}/data`,
        ...NO_SECRET,
        ...env,
      });
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.code).toBe(1);
      expect(r.out).not.toMatch(/listening|Patchbay:/);
    }
  });
});
