import type { ServerListen } from '@patchbay/protocol';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, joinLinkReach } from './join-link';

const listen = (address: string, loopbackOnly: boolean, port = 7070): ServerListen => ({
  address,
  port,
  loopbackOnly,
  hostName: 'labhost',
  https: false,
});

describe('join link reach', () => {
  it('knows the names of this machine from the others', () => {
    for (const h of ['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.8.9.10', '[::1]', '::1'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['labhost', '192.168.1.4', '[fe80::1]', '127.example.org', '10.127.0.1'])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it('a server bound to loopback: nobody else can join; says how to serve on the network', () => {
    expect(joinLinkReach('http://127.0.0.1:7070/class/x', listen('127.0.0.1', true))).toEqual({
      kind: 'server-loopback',
      address: '127.0.0.1',
      serveCommand: 'patchbay serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem',
    });
    expect(joinLinkReach('http://localhost:8080/class/x', listen('::1', true, 8080))).toMatchObject({
      serveCommand: 'patchbay serve --host 0.0.0.0 --port 8080 --tls-cert cert.pem --tls-key key.pem',
    });
  });

  it('a server on the network opened at 127.0.0.1: the link names this machine; suggests its host name', () => {
    expect(joinLinkReach('https://127.0.0.1:7070/class/x', listen('0.0.0.0', false))).toEqual({
      kind: 'link-loopback',
      suggestedOrigin: 'https://labhost:7070',
    });
    // Where it listens unknown (an older server, a failed request): the page's own address still tells.
    expect(joinLinkReach('http://localhost:7070/class/x', undefined)).toEqual({ kind: 'link-loopback' });
  });

  it('a page opened at a network name or address: no warning (a reverse proxy may front a loopback server)', () => {
    expect(joinLinkReach('http://labhost:7070/class/x', listen('0.0.0.0', false))).toBeUndefined();
    expect(joinLinkReach('https://lab.school.example/class/x', listen('127.0.0.1', true))).toBeUndefined();
    expect(joinLinkReach('http://192.168.1.4:7070/class/x', undefined)).toBeUndefined();
  });
});
