// Captures over HTTP: the list of a lab's captures, and each capture's pcap for download (the
// lines stream over socket.io, see live/captures.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routes } from '@patchbay/protocol';
import { HttpError } from '../http-error.js';
import { route } from './route.js';

/** A file name that says what was captured: lab, node, interface and start time. */
function fileName(lab: string, node: string, iface: string, startedAt: number): string {
  const when = new Date(startedAt).toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
  return `${lab}-${node}-${iface}-${when}.pcap`.replace(/[^A-Za-z0-9._-]/g, '_');
}

const captures: FastifyPluginAsyncTypebox = async (app) => {
  route(app, routes.listCaptures, async (req) => {
    app.auth.assertLab(req, req.params.name);
    await app.engine.entry(req.params.name);
    return {
      captures: app.captures.list(req.params.name),
      held: app.captures.held(req.params.name),
      // Server-wide figures are the instructor's business.
      ...(req.scope?.role === 'instructor' ? { server: app.captures.storage() } : {}),
    };
  });

  route(app, routes.capturePcap, async (req, reply) => {
    app.auth.assertLab(req, req.params.name);
    const found = await app.captures.pcap(req.params.name, req.params.id);
    if (!found) throw new HttpError(404, 'not-found', `lab ${req.params.name} has no capture ${req.params.id}`);
    const { info, file } = found;
    return reply
      .header('content-type', 'application/vnd.tcpdump.pcap')
      .header(
        'content-disposition',
        `attachment; filename="${fileName(info.lab, info.node, info.interface, info.startedAt)}"`,
      )
      .header('cache-control', 'no-store')
      .send(file);
  });
};
export default captures;
