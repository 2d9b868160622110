// The app's own behaviour: OpenAPI, the error handler, the database and the admin token.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken } from './admin-token.js';
import { openStore } from './store/store.js';
import { auth, testLab, type TestServer } from './test-support.js';

const lab = testLab('pbs2-');
let s: TestServer;

beforeAll(async () => {
  s = await lab.server();
});
afterAll(async () => {
  await lab.cleanup();
});

describe('openapi', () => {
  it('is an OpenAPI 3 document with the lab routes and their schemas', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/api/openapi.json', headers: auth });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toMatch(/^3\./);
    const put = doc.paths['/api/labs/{name}'].put;
    const schema = put.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'nodes', 'links']));
    expect(put.requestBody.content['application/yaml']).toBeDefined();
    expect(put.responses['200']).toBeDefined();
    expect(put.responses['400']).toBeDefined();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/health', '/api/labs', '/api/labs/{name}/state']),
    );
    const unauth = await s.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(unauth.statusCode).toBe(401);
  });
});

describe('error handler', () => {
  it('hides internals of a 5xx and gives a request id', async () => {
    const lines: string[] = [];
    const { Engine } = await import('@patchbay/engine');
    const { buildApp } = await import('./app.js');
    const engine = new Engine({ prefix: lab.prefix, dataDir: lab.dataDir });
    const db = openStore(lab.dataDir);
    const stream = { write: (l: string) => void lines.push(l) };
    const other = 'error-handler-test-token-0123456789';
    const app = await buildApp({ engine, store: db, adminToken: other, logger: { level: 'error', stream } });
    try {
      // Routes cannot be added after ready(); a closed database makes a real route fail instead.
      await db.close();
      const r = await app.inject({ method: 'GET', url: '/api/labs', headers: { authorization: `Bearer ${other}` } });
      expect(r.statusCode).toBe(500);
      const body = r.json();
      expect(body).toEqual({ error: expect.any(String), code: 'internal', requestId: expect.any(String) });
      expect(r.body).not.toMatch(/at .*\.js|database|sqlite/i);
      expect(lines.join('\n')).toContain(body.requestId);
      expect(lines.join('\n')).toMatch(/database/i);
    } finally {
      await app.close();
      await engine.close();
    }
  });

  it('answers 404 with a body for an unknown route', async () => {
    const r = await s.app.inject({ method: 'GET', url: '/api/nothing', headers: auth });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ code: 'not-found' });
  });
});

describe('database and admin token', () => {
  it('migrates from version 1, keeps a generated admin token in a 0600 file, and only its hash in the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'patchbay-db-test-'));
    try {
      const db = openStore(dir);
      expect(await db.schemaVersion()).toBe(6);
      const t1 = await adminToken(db, dir, {});
      expect(t1.length).toBeGreaterThanOrEqual(40);
      expect(statSync(join(dir, 'admin-token')).mode & 0o777).toBe(0o600);
      expect(await db.tokens.find(t1)).toEqual({ role: 'instructor', lab: null });
      const raw = db.db.prepare('SELECT token_hash FROM tokens').all() as { token_hash: string }[];
      expect(raw.map((r) => r.token_hash)).not.toContain(t1);
      await db.close();
      const again = openStore(dir);
      expect(await again.schemaVersion()).toBe(6);
      expect(await adminToken(again, dir, {})).toBe(t1);
      const fromEnv = 'from-env-token-0123456789abcdef';
      expect(await adminToken(again, dir, { PATCHBAY_ADMIN_TOKEN: fromEnv })).toBe(fromEnv);
      expect((await again.tokens.find(fromEnv))?.role).toBe('instructor');
      expect(await again.tokens.find('other')).toBeUndefined();
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
