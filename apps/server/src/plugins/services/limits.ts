// Limits (limits.ts) as a service: `app.limits`, `app.quotas`, and the REST rate limit — a token
// bucket per token (per client address for requests without one), checked before the token itself
// so guessing tokens is rate limited too. 429 with Retry-After when empty; /api/health is exempt.
import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import { DEFAULT_LIMITS, Quotas, TokenBucket, type Limits } from '../../limits.js';
import { HttpError } from '../../http-error.js';

/** Buckets of clients not seen for this long are forgotten (a full bucket is the same as none). */
const IDLE_MS = 60_000;
const MAX_CLIENTS = 50_000;

export default fp<{ limits?: Partial<Limits> }>(
  async (app, opts) => {
    const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
    app.decorate('limits', limits);
    app.decorate('quotas', new Quotas(limits));
    const buckets = new Map<string, { bucket: TokenBucket; seen: number }>();
    const sweep = setInterval(() => {
      const old = performance.now() - IDLE_MS;
      for (const [k, v] of buckets) if (v.seen < old) buckets.delete(k);
    }, IDLE_MS);
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));
    app.addHook('onRequest', async (req, reply) => {
      if (!req.url.startsWith('/api/') || req.url.startsWith('/api/health')) return;
      const auth = req.headers.authorization;
      const key = auth ? `t:${createHash('sha256').update(auth).digest('hex')}` : `a:${req.ip}`;
      let entry = buckets.get(key);
      if (!entry) {
        if (buckets.size >= MAX_CLIENTS) buckets.delete(buckets.keys().next().value!);
        entry = { bucket: new TokenBucket(limits.requestsPerSecond, limits.requestBurst), seen: 0 };
        buckets.set(key, entry);
      }
      entry.seen = performance.now();
      if (!entry.bucket.take()) {
        void reply.header('retry-after', String(entry.bucket.retryAfterS));
        throw new HttpError(
          429,
          'rate-limited',
          `too many requests: at most ${limits.requestsPerSecond} per second (burst ${limits.requestBurst}); retry in ${entry.bucket.retryAfterS} s`,
        );
      }
    });
  },
  { name: 'limits' },
);
