import type { Socket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLiveStore } from '../store/live';
import { connectionStore, giveUpSocket, manageSocket } from './connection';
import { FakeSocket } from './fake-socket';
import type { LiveSocket } from './live';

const transportError = () => Object.assign(new Error('websocket error'), { type: 'TransportError' });

describe('the connection manager with a socket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // no jitter
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('reconnects after the server let go of the connection (socket.io itself would not), with growing delays', () => {
    const socket = new FakeSocket();
    manageSocket('t1', socket as unknown as Socket);
    socket.serverEvent('connect');
    expect(connectionStore.getState().links['socket:t1']?.phase).toBe('online');
    socket.serverEvent('disconnect', 'io server disconnect');
    expect(connectionStore.getState().links['socket:t1']).toMatchObject({ phase: 'away', attempt: 1 });
    vi.advanceTimersByTime(999);
    expect(socket.connects).toBe(0);
    vi.advanceTimersByTime(1);
    expect(socket.connects).toBe(1);
    socket.serverEvent('connect_error', transportError()); // still down
    expect(connectionStore.getState().links['socket:t1']).toMatchObject({ phase: 'away', attempt: 2 });
    vi.advanceTimersByTime(1800);
    expect(socket.connects).toBe(2);
    socket.serverEvent('connect');
    expect(connectionStore.getState().links['socket:t1']?.phase).toBe('online');
    expect(connectionStore.getState().reconnectedAt).toBeDefined();
  });

  it('does not retry a refused token, nor a socket the page closed or gave up', () => {
    const socket = new FakeSocket();
    manageSocket('t2', socket as unknown as Socket);
    socket.serverEvent('connect_error', new Error('the token is not valid'));
    expect(connectionStore.getState().links['socket:t2']).toMatchObject({ phase: 'refused' });
    socket.serverEvent('connect');
    socket.serverEvent('disconnect', 'io client disconnect');
    expect(connectionStore.getState().links['socket:t2']).toEqual({ phase: 'idle' });
    socket.serverEvent('connect');
    giveUpSocket(socket);
    socket.serverEvent('disconnect', 'io server disconnect'); // the session ended: the server let go
    vi.advanceTimersByTime(60_000);
    expect(socket.connects).toBe(0);
    expect(connectionStore.getState().links['socket:t2']).toEqual({ phase: 'idle' });
  });
});

describe('the live store across a reconnection', () => {
  it('subscribes to the watched lab again on every connect, and says it is away meanwhile', async () => {
    const socket = new FakeSocket();
    const live = createLiveStore(socket as unknown as LiveSocket);
    socket.serverEvent('connect');
    live.getState().watch('lab1');
    await vi.waitFor(() => expect(live.getState().subscribed).toBe(true));
    socket.serverEvent('disconnect', 'transport close');
    expect(live.getState()).toMatchObject({ connected: false, subscribed: false });
    socket.serverEvent('connect_error', transportError());
    expect(live.getState().error).toBeUndefined(); // the banner's to say, not an error of the page
    const before = socket.emitted.filter((e) => e.event === 'tables:subscribe').length;
    socket.serverEvent('connect');
    await vi.waitFor(() => expect(live.getState().subscribed).toBe(true));
    expect(socket.emitted.filter((e) => e.event === 'tables:subscribe')).toHaveLength(before + 1);
    expect(socket.emitted.at(-1)).toEqual({ event: 'tables:subscribe', payload: { lab: 'lab1' } });
  });
});
