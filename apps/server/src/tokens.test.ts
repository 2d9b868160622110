// Tokens (issue 12, "Tokens"): the instructor token must carry 128 bits, a new one revokes the old,
// no string but a well-formed token is ever looked up, tokens never reach the log (request URLs,
// errors, socket handshakes), the data directory and database are private from their creation, and
// the server can serve HTTPS itself.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Engine, Journal } from '@patchbay/engine';
import { io } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { adminToken, instructorTokenProblem, MIN_TOKEN_BITS, tokenBits } from './admin-token.js';
import { buildApp } from './app.js';
import { serverLogger } from './logging.js';
import { isLoopbackAddress } from './request-origin.js';
import { isLoopback, trustProxy } from './start.js';
import { openStore } from './store/store.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'patchbay-tokens-test-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const strong = (): string => randomBytes(32).toString('base64url');

describe('the instructor token', () => {
  it('must carry 128 bits: length × log2 of the alphabet its character classes span', () => {
    expect(tokenBits(randomBytes(32).toString('base64url'))).toBeGreaterThan(250);
    expect(tokenBits('aB3-aB3-aB3-aB3-aB3-aB')).toBeCloseTo(22 * 6); // 22 base64url characters: 132 bits
    expect(tokenBits('0123456789abcdef0123456789abcdef')).toBeGreaterThanOrEqual(MIN_TOKEN_BITS); // 32 hex
    for (const weak of [
      'changeme-please-ok',
      'classroom-2024-password',
      '1234567890123456789012345678901234',
      'aaaaaaaaaaaaaaaaaaaaaaaaa',
    ])
      expect(instructorTokenProblem(weak), weak).toMatch(/too weak: about \d+ bits, at least 128 are needed/);
    expect(instructorTokenProblem('has spaces in it, 40 characters long....')).toMatch(/must be 16 to 128 characters/);
    expect(instructorTokenProblem('short')).toMatch(/must be 16 to 128 characters/);
    for (let i = 0; i < 50; i++) expect(instructorTokenProblem(strong())).toBeUndefined();
  });

  it('a weak PATCHBAY_ADMIN_TOKEN stops the start with the reason; so does a weak token given to buildApp', async () => {
    const dir = tempDir();
    const store = openStore(dir);
    try {
      await expect(adminToken(store, dir, { PATCHBAY_ADMIN_TOKEN: 'classroom-2024' })).rejects.toThrow(
        /PATCHBAY_ADMIN_TOKEN must be 16 to 128/,
      );
      await expect(adminToken(store, dir, { PATCHBAY_ADMIN_TOKEN: 'classroom-2024-password' })).rejects.toThrow(
        /PATCHBAY_ADMIN_TOKEN is too weak/,
      );
      expect(store.db.prepare('SELECT count(*) AS n FROM tokens').get()).toEqual({ n: 0 });
      const engine = new Engine({ prefix: 'pbs32-', dataDir: dir });
      await expect(buildApp({ engine, store, adminToken: 'classroom-2024-password' })).rejects.toThrow(/too weak/);
      await engine.close();
      // The generated default passes.
      const generated = await adminToken(store, dir, {});
      expect(instructorTokenProblem(generated)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('a start with a new token revokes the old one; student tokens stay', async () => {
    const dir = tempDir();
    const store = openStore(dir);
    try {
      const generated = await adminToken(store, dir, {});
      const first = strong();
      const second = strong();
      await store.tokens.add('student-token-0123456789abc', 'student', 'lab-a');
      expect(await adminToken(store, dir, { PATCHBAY_ADMIN_TOKEN: first })).toBe(first);
      expect(await store.tokens.find(generated)).toBeUndefined();
      expect(await adminToken(store, dir, { PATCHBAY_ADMIN_TOKEN: ` ${second}\n` })).toBe(second);
      expect(await store.tokens.find(first)).toBeUndefined();
      expect(await store.tokens.find(second)).toEqual({ role: 'instructor', lab: null });
      expect(await store.tokens.find('student-token-0123456789abc')).toEqual({ role: 'student', lab: 'lab-a' });
      // Unset again: the generated token (kept in its file) is the instructor's again, the env one revoked.
      expect(await adminToken(store, dir, {})).toBe(generated);
      expect(await store.tokens.find(second)).toBeUndefined();
      const instructors = store.db.prepare("SELECT count(*) AS n FROM tokens WHERE role = 'instructor'").get();
      expect(instructors).toEqual({ n: 1 });
    } finally {
      await store.close();
    }
  });

  it('a malformed token is never looked up: the database is not even asked', async () => {
    const dir = tempDir();
    const store = openStore(dir);
    await store.close(); // any query would now throw
    for (const t of ['', 'x', 'a b c d e f g h i j k', `${'a'.repeat(129)}`, "x' OR '1'='1-0123456789"])
      expect(await store.tokens.find(t), t).toBeUndefined();
    await expect(store.tokens.find(strong())).rejects.toThrow(/not open/);
  });
});

describe('files are private from their creation', () => {
  it('the server makes the data directory 0700 and the database 0600 (its WAL too)', async () => {
    const dir = join(tempDir(), 'nested', 'data');
    const store = openStore(dir);
    try {
      await store.tokens.add(strong(), 'instructor'); // a write: the WAL exists
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, '..')).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, 'patchbay.db')).mode & 0o777).toBe(0o600);
      for (const f of ['patchbay.db-wal', 'patchbay.db-shm'])
        if (existsSync(join(dir, f))) expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
    } finally {
      await store.close();
    }
  });

  it('so does the engine when a CLI command creates the data directory first', async () => {
    const dir = join(tempDir(), 'cli-first');
    const journal = new Journal(dir, 'pbs32-');
    await journal.write({
      version: 1,
      prefix: 'pbs32-',
      name: 'x',
      status: 'applied',
      revision: 0,
      namespaces: [],
    } as never);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'labs')).mode & 0o777).toBe(0o700);
  });
});

describe('tokens never reach the log', () => {
  it('request URLs, failed requests and socket handshakes with ?token= leave no token in any line', async () => {
    const dir = tempDir();
    const secret = strong();
    const sink = Object.assign(new PassThrough(), { isTTY: false });
    let text = '';
    sink.on('data', (c: Buffer) => (text += c.toString('utf8')));
    const engine = new Engine({ prefix: 'pbs32-', dataDir: dir });
    const store = openStore(dir);
    const app = await buildApp({
      engine,
      store,
      adminToken: strong(),
      logger: serverLogger({ PATCHBAY_LOG_LEVEL: 'trace' }, sink),
    });
    try {
      await app.inject({ method: 'GET', url: `/?token=${secret}` });
      await app.inject({ method: 'GET', url: `/?%74oken=${secret}` });
      await app.inject({
        method: 'GET',
        url: `/api/labs?token=${secret}`,
        headers: { authorization: `Bearer ${secret}` },
      });
      await app.inject({ method: 'GET', url: `/api/nothing?a=1&Access_Token=${secret}&token=${secret}` });
      await app.inject({ method: 'GET', url: `/api/labs/%?token=${secret}` }); // a malformed URL
      await app.inject({ method: 'GET', url: `/?token=${secret}`, headers: { host: 'evil.example' } });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const addr = app.server.address();
      const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
      await new Promise<void>((resolve) => {
        const c = io(url, {
          auth: { token: secret },
          query: { token: secret },
          transports: ['polling'],
          reconnection: false,
          forceNew: true,
        });
        c.once('connect_error', () => {
          c.disconnect();
          resolve();
        });
        c.once('connect', () => {
          c.disconnect();
          resolve();
        });
      });
      // Requests Node cannot parse: Fastify's own handler would log their bytes (URL and headers).
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      for (const bad of [`Bad Header`, `Content-Length: x`]) {
        const answer = await new Promise<string>((resolve) => {
          let got = '';
          const sock = connect(port, '127.0.0.1', () =>
            sock.write(
              `GET /?token=${secret} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${secret}\r\n${bad}\r\n\r\n`,
            ),
          );
          sock.on('data', (c: Buffer) => (got += c.toString()));
          sock.on('close', () => resolve(got));
          sock.on('error', () => resolve(got));
        });
        expect(answer).toMatch(/^HTTP\/1.1 400 Bad Request/);
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(text).toContain('client error');
      for (const line of text.split('\n')) expect(line.replaceAll(secret, '<<SECRET>>')).toBe(line);
    } finally {
      await app.close();
      await engine.close();
      await store.close();
    }
  });
});

describe('serving', () => {
  it('knows loopback addresses (no plain-HTTP warning for them) from the others', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'app.localhost'])
      expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'lab.example', '128.0.0.1']) expect(isLoopback(h), h).toBe(false);
    // The address a server is bound to, as its socket says (GET /api/status `listen.loopbackOnly`).
    for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['0.0.0.0', '::', '::ffff:10.0.0.5', '192.168.1.4']) expect(isLoopbackAddress(a), a).toBe(false);
    expect(trustProxy('true')).toBe(true);
    expect(trustProxy('127.0.0.1, 10.0.0.0/8')).toEqual(['127.0.0.1', '10.0.0.0/8']);
  });

  it('serves HTTPS with --tls-cert/--tls-key (a certificate and key in PEM)', async () => {
    const dir = tempDir();
    const engine = new Engine({ prefix: 'pbs32-', dataDir: dir });
    const store = openStore(dir);
    const fixtures = join(import.meta.dirname, 'fixtures');
    const app = await buildApp({
      engine,
      store,
      adminToken: strong(),
      https: {
        cert: readFileSync(join(fixtures, 'tls-test-cert.pem')),
        key: readFileSync(join(fixtures, 'tls-test-key.pem')),
      },
    });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const answer = await new Promise<{ status: number; body: string; csp: unknown }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/health', rejectUnauthorized: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body, csp: res.headers['content-security-policy'] }),
          );
        });
        req.on('error', reject);
        req.end();
      });
      expect(answer).toMatchObject({ status: 200, body: '{"ok":true}' });
      expect(answer.csp).toMatch(/frame-ancestors 'none'/);
    } finally {
      await app.close();
      await engine.close();
      await store.close();
    }
  });
});
