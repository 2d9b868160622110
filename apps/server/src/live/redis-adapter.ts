// PATCHBAY_REDIS=redis://…: socket.io's Redis adapter, so that a broadcast to a room (a session's
// dashboards, a lab's exercise pages) reaches the clients connected to every coordinator replica,
// not only this one's. Two connections: one publishes, one subscribes (Redis requires it).
// Each client's socket.io transport must still stay on one replica: sticky sessions (docs/deploy.md).
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

export interface RedisAdapter {
  /** For `io.adapter(…)`. */
  adapter: ReturnType<typeof createAdapter>;
  /** Closes both connections. */
  close(): Promise<void>;
}

/** Whether `url` names a Redis server (what PATCHBAY_REDIS may be). */
export const isRedisUrl = (url: string): boolean => /^rediss?:\/\//i.test(url);

/**
 * Connects to the Redis server at `url` (both connections up within `timeoutMs`, or it fails with the
 * reason and leaves nothing open); later connection losses are reported to `onError` and retried.
 */
export async function connectRedisAdapter(
  url: string,
  onError: (err: Error) => void,
  timeoutMs = 10_000,
): Promise<RedisAdapter> {
  if (!isRedisUrl(url)) throw new Error('PATCHBAY_REDIS must be a Redis URL (redis://host:6379 or rediss://…)');
  const pub = createClient({
    url,
    socket: { connectTimeout: timeoutMs, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
  });
  const sub = pub.duplicate();
  // Without a listener an error event would end the process; the clients reconnect by themselves.
  pub.on('error', onError);
  sub.on('error', onError);
  const close = async () => {
    await Promise.allSettled([pub.isOpen ? pub.quit() : undefined, sub.isOpen ? sub.quit() : undefined]);
    await Promise.allSettled([pub.disconnect(), sub.disconnect()]);
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all([pub.connect(), sub.connect()]),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    await close();
    throw new Error(`cannot connect to the Redis server of PATCHBAY_REDIS: ${(e as Error).message}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
  return { adapter: createAdapter(pub, sub), close };
}
