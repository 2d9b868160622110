// The server's log: one line per event. On a terminal a person reads it (time, level, message, the
// few fields that matter); otherwise it is pino's JSON, one object a line, for log collectors.
// Either way no line carries a token: request URLs are logged with `token=` redacted (the web app's
// first page load is `/?token=…`), and headers (Authorization) are never logged.
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify';

export type LogFormat = 'pretty' | 'json';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * The values of a URL's query parameters named like a token (`token`, `access_token`, however
 * spelled: `%74oken`, `TOKEN`) replaced, so a request log never holds a credential. A parameter
 * whose name cannot be decoded is redacted too.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const redacted = query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return part;
      let name: string;
      try {
        name = decodeURIComponent(part.slice(0, eq).replace(/\+/g, ' '));
      } catch {
        return `${part.slice(0, eq)}=[redacted]`;
      }
      return /token/i.test(name) ? `${part.slice(0, eq)}=[redacted]` : part;
    })
    .join('&');
  return `${url.slice(0, q + 1)}${redacted}${hash < 0 ? '' : url.slice(hash)}`;
}

export interface LoggerEnv {
  PATCHBAY_LOG_LEVEL?: string;
  PATCHBAY_LOG_FORMAT?: string;
}

/** Logger options of `patchbay serve`; throws a clear error for a bad level or format. */
export function serverLogger(
  env: LoggerEnv,
  out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
): NonNullable<FastifyServerOptions['logger']> {
  const level = env.PATCHBAY_LOG_LEVEL ?? 'info';
  if (!LEVELS.has(level))
    throw new Error(`PATCHBAY_LOG_LEVEL ${JSON.stringify(level)} is not a level (${[...LEVELS].join(', ')})`);
  const format = env.PATCHBAY_LOG_FORMAT ?? (out.isTTY ? 'pretty' : 'json');
  if (format !== 'pretty' && format !== 'json')
    throw new Error(`PATCHBAY_LOG_FORMAT ${JSON.stringify(format)} is not pretty or json`);
  return {
    level,
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.ip,
      }),
    },
    stream: format === 'pretty' ? prettyStream(out, Boolean(out.isTTY)) : out,
  };
}

/**
 * Fastify's answer to a request Node could not parse, without its log line: Fastify's own logs the
 * error with `rawPacket`, the request's bytes — its URL (`?token=`) and its Authorization header.
 * This one logs the parser's code and reason only, and answers as Fastify does (400, 408 or 431).
 */
export function clientErrorHandler(
  this: { log: FastifyBaseLogger },
  err: Error & { code?: string; reason?: string },
  socket: Socket,
): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, label] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large']
        : [400, 'Bad Request'];
  this.log.debug({ code: err.code, reason: err.reason ?? err.message }, 'client error');
  const body = JSON.stringify({ error: label, code: 'bad-request', message: 'Client Error', statusCode: status });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${label}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy();
}

/**
 * One line per request when it completes (method, URL, status, time), instead of Fastify's two
 * ("incoming request" and "request completed"); with Fastify's own request logging off.
 */
export function logRequests(app: FastifyInstance): void {
  app.addHook('onResponse', async (req, reply) => {
    const ms = reply.elapsedTime;
    const level = reply.statusCode >= 500 ? 'error' : 'info';
    req.log[level](
      { req, status: reply.statusCode, ms: Math.round(ms) },
      `${req.method} ${redactUrl(req.url)} ${reply.statusCode} ${ms.toFixed(0)} ms`,
    );
  });
}

const LEVEL_NAMES: Record<number, [string, string]> = {
  10: ['TRACE', '90'],
  20: ['DEBUG', '90'],
  30: ['INFO ', '32'],
  40: ['WARN ', '33'],
  50: ['ERROR', '31'],
  60: ['FATAL', '35'],
};
/** Fields every line has, or that the message already says: not repeated after it. */
const QUIET = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'req', 'status', 'ms']);

/** A pino JSON line as a person reads it: `18:55:27 INFO  GET /api/labs 200 3 ms  lab=web`. */
export function prettyLine(json: string, color: boolean): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = new Date(typeof o['time'] === 'number' ? o['time'] : Date.now()).toISOString().slice(11, 19);
  const [name, code] = LEVEL_NAMES[o['level'] as number] ?? ['LOG  ', '0'];
  const paint = (s: string, c: string) => (color ? `\x1b[${c}m${s}\x1b[0m` : s);
  const fields = Object.entries(o)
    .filter(([k]) => !QUIET.has(k))
    .map(([k, v]) => `${k}=${fieldText(v)}`);
  const err = o['err'] as { stack?: string } | undefined;
  const stack =
    err && typeof err === 'object' && err.stack && (o['level'] as number) >= 50
      ? `\n${paint(err.stack.replace(/^/gm, '    '), '90')}`
      : '';
  const msg = o['msg'];
  const text = typeof msg === 'string' ? msg : msg === undefined ? '' : fieldText(msg);
  return `${paint(time, '90')} ${paint(name, code)} ${text}${fields.length ? paint(`  ${fields.join(' ')}`, '90') : ''}${stack}\n`;
}

function fieldText(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  if (v && typeof v === 'object' && 'message' in v && typeof (v as Error).message === 'string')
    return JSON.stringify((v as Error).message);
  return JSON.stringify(v);
}

function prettyStream(out: NodeJS.WritableStream, color: boolean): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) out.write(prettyLine(line, color));
      done();
    },
  });
}
