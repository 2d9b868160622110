// Limits (limits.ts) as a service: `app.limits`, `app.quotas`, and the REST rate limit's buckets
// (`app.requestLimit(key)`): a token bucket per key, which the auth guard chooses — the hash of a
// valid token, or the client address for a request without one or with an unknown token, so that
// guessing tokens is throttled like any other request of that address (plugins/services/auth.ts).
import fp from 'fastify-plugin';
import { DEFAULT_LIMITS, Quotas, TokenBucket, type Limits } from '../../limits.js';

/** Buckets of clients not seen for this long are forgotten (a full bucket is the same as none). */
const IDLE_MS = 60_000;
const MAX_CLIENTS = 50_000;
/** Refusals held at once over all keys (each is a timer and a waiting request): bounds memory. */
const MAX_HELD = 4096;

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
    app.decorate('requestLimit', (key: string): number | undefined => {
      let entry = buckets.get(key);
      if (!entry) {
        if (buckets.size >= MAX_CLIENTS) buckets.delete(buckets.keys().next().value!);
        entry = { bucket: new TokenBucket(limits.requestsPerSecond, limits.requestBurst), seen: 0 };
        buckets.set(key, entry);
      }
      entry.seen = performance.now();
      return entry.bucket.take() ? undefined : entry.bucket.retryAfterS;
    });
    const held = new Map<string, number>();
    let heldTotal = 0;
    /** The held refusals' wake-ups: a closing server answers them all at once. */
    const waiting = new Set<() => void>();
    app.decorate('holdRefusal', async (key: string): Promise<boolean> => {
      const n = held.get(key) ?? 0;
      if (limits.refusalDelayMs === 0 || n >= limits.refusalsHeld || heldTotal >= MAX_HELD) return false;
      held.set(key, n + 1);
      heldTotal++;
      try {
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            waiting.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, limits.refusalDelayMs);
          waiting.add(wake);
        });
      } finally {
        heldTotal--;
        const left = (held.get(key) ?? 1) - 1;
        if (left === 0) held.delete(key);
        else held.set(key, left);
      }
      return true;
    });
    app.addHook('preClose', async () => {
      for (const wake of [...waiting]) wake();
    });
  },
  { name: 'limits' },
);
