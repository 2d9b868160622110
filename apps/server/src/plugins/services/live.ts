// socket.io on the app's own HTTP server (path /socket.io/), for the live streams of API.md. The
// handshake carries `auth: { token }`, checked by the same auth service as HTTP; a socket without a
// valid token never connects. Closed in preClose: upgraded connections are not HTTP connections, so
// server.close() would otherwise wait for them forever; closing drops every socket, stops every ping and
// capture process (and waits for them), and ends the live tables' watch subscriptions. Terminals are
// ended first, while their sockets are still connected, so that clients see `terminal:exit` (shutdown).
//
// The live services follow the labs through the engine's lifecycle events, whoever changes a lab
// (a route, a class reset, the idle reaper, recovery): on `removing` (awaited by the engine before
// any namespace goes) the pings, captures and terminals in the namespaces that go are stopped and
// waited for — a process left inside would keep a deleted namespace alive — and the tables stop
// reading them; on `destroyed` the lab's tables watch ends and its ended captures are forgotten.
import { join } from 'node:path';
import fp from 'fastify-plugin';
import { Server } from 'socket.io';
import { CaptureHub, type CaptureHubOptions } from '../../live/captures.js';
import { guardPackets } from '../../live/guard.js';
import { originProblem } from '../../request-origin.js';
import { hashToken } from '../../store/tokens.js';
import { LabProcesses } from '../../live/lab-processes.js';
import { addressKey, TokenBucket } from '../../limits.js';
import { registerPing } from '../../live/ping.js';
import { TerminalHub, type TerminalHubOptions } from '../../live/terminals.js';
import type { LiveIo, LiveSocket } from '../../live/socket.js';
import type { ExerciseHubOptions } from '../../classroom/exercises.js';
import { TablesHub } from '../../live/tables.js';
import { connectRedisAdapter } from '../../live/redis-adapter.js';
import { relayStreams } from '../../agents/stream-relay.js';

export type LiveServer = LiveIo;

export interface LiveOptions {
  captures?: Partial<CaptureHubOptions>;
  terminals?: Partial<TerminalHubOptions>;
  /** Exercise check runs (the classroom service; here so tests can shorten its periods). */
  exercises?: Partial<ExerciseHubOptions>;
  /** PATCHBAY_REDIS: room broadcasts go through this Redis server to every coordinator replica. */
  redisUrl?: string;
}

export default fp(
  async (app, opts: LiveOptions) => {
    // 1 MiB per message at most (terminal input is ≤ 64 KiB, a lab document is sent over HTTP).
    const io: LiveServer = new Server(app.server, {
      path: '/socket.io/',
      serveClient: false,
      maxHttpBufferSize: 1024 * 1024,
      // DNS rebinding and other sites' pages: the same Host and Origin checks as HTTP requests.
      allowRequest: (req, answer) => {
        const problem = originProblem(app.hostPolicy, req.headers);
        answer(problem ?? null, problem === undefined);
      },
    });
    const admit = async (socket: LiveSocket, next: (err?: Error) => void): Promise<void> => {
      const token: unknown = socket.handshake.auth?.['token'];
      // An agent's API over mTLS: only a coordinator's certificate connects (plugins/services/auth.ts).
      const peer = app.auth.callerCertificate(socket.request.socket);
      if (peer?.problem) return next(new Error(peer.problem));
      const scope = peer?.scope ?? (typeof token === 'string' ? await app.auth.scopeFor(token) : undefined);
      // Handshakes spend the REST buckets (plugins/services/auth.ts): a valid token its own, any
      // other attempt its address's — so guessing tokens over socket.io is throttled too.
      const key =
        peer?.scope && peer.key
          ? peer.key
          : scope && typeof token === 'string'
            ? `t:${hashToken(token)}`
            : addressKey(socket.handshake.address);
      const retryAfter = app.requestLimit(key);
      if (retryAfter !== undefined) {
        // refused after the same delay as a REST request (plugins/services/auth.ts)
        void app.holdRefusal(key).then(() => next(new Error(`too many attempts: retry in ${retryAfter} s`)));
        return;
      }
      if (!scope)
        return next(
          new Error(
            typeof token === 'string' ? 'the token is not valid' : 'this needs a token: connect with auth: { token }',
          ),
        );
      socket.data.scope = scope;
      // A coordinator relaying a student's streams (agents/stream-relay.ts): an instructor here, but
      // the student's captures still share their lab's read budget.
      const readBudgetOf: unknown = socket.handshake.auth?.['readBudgetOf'];
      if (scope.role === 'instructor' && typeof readBudgetOf === 'string') socket.data.readBudgetOf = readBudgetOf;
      next();
    };
    // The token is looked up in the database (asynchronous): a lookup that fails refuses the handshake.
    // Before any client connects: a Redis server that does not answer stops the start.
    const redis = opts.redisUrl
      ? await connectRedisAdapter(opts.redisUrl, (err) => app.log.warn({ err: err.message }, 'Redis connection error'))
      : undefined;
    if (redis) io.adapter(redis.adapter);
    io.use((socket, next) => {
      admit(socket, next).catch((err: Error) => next(new Error(`the token could not be checked: ${err.message}`)));
    });
    const processes = new LabProcesses();
    const tables = new TablesHub(app, io);
    const captures = new CaptureHub(app, processes, {
      maxSeconds: app.limits.captureMaxSeconds,
      maxBytes: app.limits.captureMaxBytes,
      memoryBytes: app.limits.captureMemoryBytes,
      diskBytes: app.limits.captureDiskBytes,
      studentPacketsPerSecond: app.limits.studentCapturePacketsPerSecond,
      spillDir: join(app.engine.settings.dataDir, 'captures'),
      ...opts.captures,
    });
    const terminals = new TerminalHub(app, processes, opts.terminals);
    io.on('connection', (socket) => {
      // Events per connection: a token bucket; an event over the rate is dropped, and its ack (if
      // any) says so, so a client never waits for an answer that will not come.
      const bucket = new TokenBucket(app.limits.eventsPerSecond, app.limits.eventBurst);
      socket.use((packet, next) => {
        if (bucket.take()) return next();
        const ack: unknown = packet[packet.length - 1];
        if (typeof ack === 'function')
          (ack as (r: unknown) => void)({
            ok: false,
            error: `rate limited: at most ${app.limits.eventsPerSecond} events per second`,
          });
        next(new Error('rate limited'));
      });
      socket.on('error', () => undefined); // the rate limiter's refusals: already answered above
      // A student's open connection keeps their lab from being reaped as idle (reaper.ts).
      const scope = socket.data.scope;
      if (scope.role === 'student' && app.hasDecorator('activity')) {
        app.activity.connected(scope.lab, 1);
        socket.on('disconnect', () => app.activity.connected(scope.lab, -1));
      }
      socket.use(guardPackets(socket));
      // Streams of labs on remote agents go to them (agents/stream-relay.ts); the rest stay here.
      if (app.agentLink !== undefined) relayStreams(app, socket, app.agentLink);
      registerPing(app, socket, processes);
      tables.register(socket);
      captures.register(socket);
      terminals.register(socket);
    });
    app.decorate('io', io);
    app.decorate('replicated', redis !== undefined);
    app.decorate('tables', tables);
    app.decorate('captures', captures);
    app.decorate('labProcesses', processes);
    app.decorate('terminals', terminals);
    const stopListening = [
      app.engine.on('removing', async ({ lab, namespaces }) => {
        const going = new Set(namespaces);
        tables.forgetNamespaces(lab, namespaces);
        await processes.release(lab, (ns) => !going.has(ns));
      }),
      app.engine.on('destroyed', async ({ lab }) => {
        await tables.closeLab(lab);
        captures.forget(lab);
      }),
    ];
    app.addHook('preClose', async () => {
      for (const stop of stopListening) stop();
      await terminals.closeAll();
      io.disconnectSockets(true);
      io.engine.close();
      await Promise.allSettled([processes.stopAll(), tables.closeAll(), redis?.close()]);
    });
  },
  { name: 'live', dependencies: ['auth', 'engine', 'limits', 'host-check', 'agents'] },
);
