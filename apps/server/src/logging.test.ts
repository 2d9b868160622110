// The server's log: readable lines on a terminal, JSON otherwise, one line per request, and never a
// token (the web app's first page load carries `?token=`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Engine } from '@patchbay/engine';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { openStore } from './store/store.js';
import { prettyLine, redactUrl, serverLogger } from './logging.js';
import { TOKEN } from './test-support.js';

const SECRET = 'secret-token-value-42';
const dataDir = mkdtempSync(join(tmpdir(), 'patchbay-log-test-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A server whose log goes to a string; `tty` pretends stdout is a terminal. */
async function loggedServer(env: { PATCHBAY_LOG_FORMAT?: string }, tty: boolean) {
  const sink = Object.assign(new PassThrough(), { isTTY: tty });
  let text = '';
  sink.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const engine = new Engine({ prefix: 'pbslog-', dataDir });
  const store = openStore(dataDir);
  const app = await buildApp({ engine, store, adminToken: TOKEN, logger: serverLogger(env, sink) });
  return {
    app,
    lines: () => text.split('\n').filter(Boolean),
    async close() {
      await app.close();
      await engine.close();
      await store.close();
    },
  };
}

describe('request logs', () => {
  it('JSON when stdout is not a terminal: one line per request, the token redacted', async () => {
    const s = await loggedServer({}, false);
    try {
      await s.app.inject({ method: 'GET', url: `/?token=${SECRET}` });
      await s.app.inject({
        method: 'GET',
        url: `/api/labs?x=1&token=${SECRET}`,
        headers: { authorization: `Bearer ${SECRET}` },
      });
      const lines = s.lines();
      expect(lines.join('\n')).not.toContain(SECRET);
      const requests = lines
        .map((l) => JSON.parse(l) as { msg: string; req?: { url: string }; status?: number })
        .filter((o) => o.req);
      expect(requests.map((o) => o.req!.url)).toEqual(['/?token=[redacted]', '/api/labs?x=1&token=[redacted]']);
      expect(requests[1]!.status).toBe(401);
      expect(requests[1]!.msg).toMatch(/^GET \/api\/labs\?x=1&token=\[redacted\] 401 \d+ ms$/);
    } finally {
      await s.close();
    }
  });

  it('readable lines on a terminal (or PATCHBAY_LOG_FORMAT=pretty)', async () => {
    const s = await loggedServer({}, true);
    try {
      await s.app.inject({ method: 'GET', url: `/?token=${SECRET}` });
      const lines = s.lines().map((l) => l.replace(/\x1b\[[0-9;]*m/g, '')); // eslint-disable-line no-control-regex
      expect(lines.join('\n')).not.toContain(SECRET);
      expect(lines.at(-1)).toMatch(/^\d\d:\d\d:\d\d INFO {2}GET \/\?token=\[redacted\] \d{3} \d+ ms$/);
    } finally {
      await s.close();
    }
    const forced = await loggedServer({ PATCHBAY_LOG_FORMAT: 'pretty' }, false);
    try {
      await forced.app.inject({ method: 'GET', url: '/api/health' });
      expect(forced.lines().at(-1)).toMatch(/^\d\d:\d\d:\d\d INFO {2}GET \/api\/health 200 \d+ ms$/); // no colour off a terminal
    } finally {
      await forced.close();
    }
  });
});

describe('the logger settings', () => {
  it('refuses an unknown level or format with a clear message', () => {
    expect(() => serverLogger({ PATCHBAY_LOG_FORMAT: 'xml' })).toThrow(
      'PATCHBAY_LOG_FORMAT "xml" is not pretty or json',
    );
    expect(() => serverLogger({ PATCHBAY_LOG_LEVEL: 'loud' })).toThrow(/PATCHBAY_LOG_LEVEL "loud" is not a level/);
  });

  it('redacts token, access_token and any parameter named like a token, wherever it is in the query', () => {
    expect(redactUrl('/x?token=a&b=2')).toBe('/x?token=[redacted]&b=2');
    expect(redactUrl('/x?b=2&Token=a#lab=w')).toBe('/x?b=2&Token=[redacted]#lab=w');
    expect(redactUrl('/x?access_token=a')).toBe('/x?access_token=[redacted]');
    // Any parameter named like a token, however its name is spelled: the page's own reading decodes it.
    expect(redactUrl('/x?mytoken=a')).toBe('/x?mytoken=[redacted]');
    expect(redactUrl('/?%74oken=a&b=%zz')).toBe('/?%74oken=[redacted]&b=%zz');
    expect(redactUrl('/?%zz=a')).toBe('/?%zz=[redacted]');
    expect(redactUrl('/plain/path')).toBe('/plain/path');
  });

  it('prints fields after the message and the stack of an error', () => {
    const line = prettyLine(
      JSON.stringify({
        level: 50,
        time: 0,
        msg: 'apply failed',
        lab: 'web',
        reqId: 'r',
        err: { message: 'boom', stack: 'Error: boom\n  at x' },
      }),
      false,
    );
    expect(line).toBe('00:00:00 ERROR apply failed  lab=web err="boom"\n    Error: boom\n      at x\n');
    expect(prettyLine('not json', false)).toBe('not json');
  });
});
