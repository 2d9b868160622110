// A stand-in for a socket.io client socket in unit tests: handlers by event, what was emitted, and
// `serverEvent` to play what the server or the transport does (connect, disconnect, connect_error).
type Handler = (...args: unknown[]) => void;

export class FakeSocket {
  connected = false;
  connects = 0;
  readonly emitted: { event: string; payload: unknown }[] = [];
  private readonly handlers = new Map<string, Set<Handler>>();

  on(event: string, fn: Handler): this {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(fn);
    return this;
  }
  off(event: string, fn: Handler): this {
    this.handlers.get(event)?.delete(fn);
    return this;
  }
  emit(event: string, payload: unknown): this {
    this.emitted.push({ event, payload });
    return this;
  }
  emitWithAck(event: string, payload: unknown): Promise<{ ok: true }> {
    this.emitted.push({ event, payload });
    return Promise.resolve({ ok: true });
  }
  connect(): this {
    this.connects++;
    return this;
  }
  /** Plays an event as socket.io would fire it on this socket. */
  serverEvent(event: 'connect' | 'disconnect' | 'connect_error', arg?: unknown): void {
    if (event === 'connect') this.connected = true;
    if (event === 'disconnect') this.connected = false;
    for (const fn of [...(this.handlers.get(event) ?? [])]) fn(arg);
  }
}
