// The contract as data: every route and event names real schemas (nothing left unconstrained), and
// the client builds each request from the table (method, path, query, body, token) and reads the
// answers as the table says.
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ApiError, createClient, type FetchLike, type FetchResponse } from './client.js';
import { DraftDocumentSchema } from './editor.js';
import { clientEvents, serverEvents, type ClientToServerEvents, type ServerToClientEvents } from './events.js';
import type { ApplyResponse, LabList } from './labs.js';
import type { PingReply } from './live.js';
import { routes } from './routes.js';
import { WhyQuerySchema, WhyResultSchema, type WhyResult } from '@patchbay/topology';

/** Sub-schemas that say nothing of their value (what `Type.Unknown()` or `Type.Any()` make). */
function unconstrained(schema: TSchema, path: string, out: string[]): string[] {
  if (schema === DraftDocumentSchema) return out; // a draft may be any JSON value, on purpose (its type says so)
  const s = schema as Record<string, unknown>;
  const says = ['type', 'anyOf', 'allOf', 'oneOf', 'const', 'enum', '$ref', 'not'].some((k) => k in s);
  if (!says) out.push(path);
  for (const [k, v] of Object.entries(s.properties ?? {})) unconstrained(v as TSchema, `${path}.${k}`, out);
  for (const [k, v] of Object.entries(s.patternProperties ?? {})) unconstrained(v as TSchema, `${path}[${k}]`, out);
  if (s.items && typeof s.items === 'object') unconstrained(s.items as TSchema, `${path}[]`, out);
  for (const key of ['anyOf', 'allOf', 'oneOf'] as const)
    for (const [i, v] of ((s[key] as TSchema[] | undefined) ?? []).entries()) unconstrained(v, `${path}|${i}`, out);
  if (typeof s.additionalProperties === 'object') unconstrained(s.additionalProperties as TSchema, `${path}{}`, out);
  return out;
}

describe('the contract', () => {
  it('names a schema for every part of every route and event, none left unconstrained', () => {
    const loose: string[] = [];
    for (const [name, r] of Object.entries(routes)) {
      const parts: [string, TSchema | undefined][] = [
        ['params', 'params' in r ? r.params : undefined],
        ['query', 'query' in r ? r.query : undefined],
        ['body', 'body' in r ? r.body : undefined],
      ];
      for (const [part, schema] of parts) if (schema) unconstrained(schema, `${name}.${part}`, loose);
      for (const [status, schema] of Object.entries(r.response))
        unconstrained(schema as TSchema, `${name}.${status}`, loose);
    }
    for (const [name, e] of Object.entries(clientEvents)) {
      unconstrained(e.payload, name, loose);
      if ('ack' in e) unconstrained(e.ack, `${name} ack`, loose);
    }
    for (const [name, e] of Object.entries(serverEvents)) unconstrained(e.payload, name, loose);
    expect(loose).toEqual([]);
  });

  it('has one route per method and path, each under /api/', () => {
    const keys = Object.values(routes).map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of Object.values(routes)) expect(r.path).toMatch(/^\/api\//);
  });

  it('types the socket.io event maps from the event tables', () => {
    expectTypeOf<Parameters<ServerToClientEvents['ping:reply']>[0]>().toEqualTypeOf<PingReply>();
    expectTypeOf<Parameters<ServerToClientEvents['capture:lines']>>().toHaveProperty('1');
    expectTypeOf<Parameters<ClientToServerEvents['ping:start']>[0]>().toHaveProperty('id');
    expect(Object.keys(clientEvents)).toContain('terminal:open');
  });
});

/** A fetch that records what it was asked and answers `status` with `body`. */
function recorder(status: number, body: unknown) {
  const calls: { url: string; init: Parameters<FetchLike>[1] }[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    const text = body === undefined ? '' : JSON.stringify(body);
    const res: FetchResponse = { ok: status < 400, status, text: async () => text, blob: async () => new Blob([text]) };
    return res;
  };
  return { calls, fetch };
}

describe('the client', () => {
  it('builds the request from the route: method, encoded path parameters, query, JSON body, token', async () => {
    const { calls, fetch } = recorder(200, { lab: 'a b', revision: 1, ops: [], drift: [], timings: {}, dryRun: true });
    const client = createClient({ base: 'http://server:7070', token: () => 'tok', fetch });
    const lab = { name: 'a b', nodes: {}, links: [] };
    const res = await client.call('applyLab', { params: { name: 'a b' }, query: { dryRun: 'true' }, body: lab });
    expectTypeOf(res).toEqualTypeOf<ApplyResponse>();
    expect(res.dryRun).toBe(true);
    expect(calls).toEqual([
      {
        url: 'http://server:7070/api/labs/a%20b?dryRun=true',
        init: {
          method: 'PUT',
          headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
          body: JSON.stringify(lab),
        },
      },
    ]);
  });

  it('sends no body and no content type where the route has none; a call may use its own token or none', async () => {
    const { calls, fetch } = recorder(200, { labs: [] });
    const client = createClient({ token: () => 'page-token', fetch });
    const list = await client.call('listLabs');
    expectTypeOf(list).toEqualTypeOf<LabList>();
    await client.call('runChecks', { params: { name: 'lab1' } }, { token: 'student-token' });
    await client.call('join', { body: { code: 'ABCD', name: 'Ann' } }, { token: null });
    expect(calls.map((c) => [c.init.method, c.url, c.init.headers, c.init.body])).toEqual([
      ['GET', '/api/labs', { authorization: 'Bearer page-token' }, undefined],
      ['POST', '/api/labs/lab1/checks', { authorization: 'Bearer student-token' }, undefined],
      ['POST', '/api/join', { 'content-type': 'application/json' }, JSON.stringify({ code: 'ABCD', name: 'Ann' })],
    ]);
  });

  it("turns an error answer into an ApiError with the server's message and problems", async () => {
    const problems = [{ path: 'name', message: 'bad', code: 'name.invalid' }];
    const client = createClient({
      fetch: recorder(400, { error: 'the lab document has problems', code: 'invalid', problems }).fetch,
    });
    const err = await client.call('labScript', { body: { name: 'x', nodes: {}, links: [] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ message: 'the lab document has problems', status: 400, problems });
    const unauthorized = createClient({
      fetch: recorder(401, { error: 'no token' }).fetch,
      unauthorizedMessage: 'open the address with ?token=',
    });
    await expect(unauthorized.call('listLabs')).rejects.toMatchObject({
      status: 401,
      message: 'open the address with ?token=',
    });
    const down = createClient({ fetch: async () => Promise.reject(new Error('ECONNREFUSED')) });
    await expect(down.call('health')).rejects.toMatchObject({
      status: 0,
      message: expect.stringContaining('cannot reach'),
    });
  });

  it('tells onNetwork after every call whether the server was reached (an error answer but 502-504 reaches it)', async () => {
    const seen: boolean[] = [];
    const onNetwork = (reached: boolean) => seen.push(reached);
    await createClient({ fetch: recorder(200, { labs: [] }).fetch, onNetwork }).call('listLabs');
    await createClient({ fetch: recorder(500, { error: 'boom' }).fetch, onNetwork })
      .call('listLabs')
      .catch(() => undefined);
    await createClient({ fetch: recorder(503, { error: 'Service Unavailable' }).fetch, onNetwork })
      .call('listLabs')
      .catch(() => undefined);
    await createClient({ fetch: async () => Promise.reject(new Error('ECONNREFUSED')), onNetwork })
      .call('health')
      .catch(() => undefined);
    expect(seen).toEqual([true, true, false, false]);
  });

  it('asks why with the query as the body and reads the WhyResult; its refusals keep their code', async () => {
    expect(routes.whyLab).toMatchObject({ method: 'POST', path: '/api/labs/:name/why', access: 'lab' });
    expect(routes.whyLab.body).toBe(WhyQuerySchema);
    expect(routes.whyLab.response[200]).toBe(WhyResultSchema);
    expect(Object.keys(routes.whyLab.response).sort()).toEqual(['200', '400', '401', '403', '404', '429', '500']);
    const answer: WhyResult = {
      lab: 'lab1',
      query: { from: 'a', to: 'b', src: '10.0.0.1', dst: '10.0.0.2', proto: 'icmp', size: 84, df: false },
      reachable: true,
      forward: [{ node: 'a', out: 'eth0', action: 'send', detail: 'on the link' }],
      reverse: [],
    };
    const { calls, fetch } = recorder(200, answer);
    const res = await createClient({ token: () => 'tok', fetch }).call('whyLab', {
      params: { name: 'lab1' },
      body: { from: 'a', to: 'b', proto: 'tcp', port: 80 },
    });
    expectTypeOf(res).toEqualTypeOf<WhyResult>();
    expect(res).toEqual(answer);
    expect(calls.map((c) => [c.init.method, c.url, c.init.body])).toEqual([
      ['POST', '/api/labs/lab1/why', JSON.stringify({ from: 'a', to: 'b', proto: 'tcp', port: 80 })],
    ]);
    const disabled = createClient({
      fetch: recorder(403, { error: 'this exercise does not allow Why?', code: 'why-disabled' }).fetch,
    });
    await expect(
      disabled.call('whyLab', { params: { name: 'lab1' }, body: { from: 'a', to: 'b' } }),
    ).rejects.toMatchObject({ status: 403, code: 'why-disabled' });
  });

  it('answers a file route with a Blob and a 204 with null', async () => {
    const pcap = await createClient({ fetch: recorder(200, 'pcap bytes').fetch }).call('capturePcap', {
      params: { name: 'lab1', id: 'abcdef0123456789' },
    });
    expectTypeOf(pcap).toEqualTypeOf<Blob>();
    expect(pcap).toBeInstanceOf(Blob);
    expect(
      await createClient({ fetch: recorder(204, undefined).fetch }).call('deleteDraft', { params: { name: 'lab1' } }),
    ).toBeNull();
  });
});
