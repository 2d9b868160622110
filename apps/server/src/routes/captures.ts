// Captures over HTTP: the list of a lab's captures, and each capture's pcap for download (the
// lines stream over socket.io, see live/captures.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CaptureListSchema, ErrorBodySchema } from '@patchbay/protocol';
import { NAME_RE } from '@patchbay/topology';
import { HttpError } from '../http-error.js';

const LabParams = Type.Object({ name: Type.String({ pattern: NAME_RE.source, description: 'Lab name.' }) });
const CaptureParams = Type.Object({
  name: Type.String({ pattern: NAME_RE.source, description: 'Lab name.' }),
  id: Type.String({ pattern: '^[0-9a-f-]{36}$', description: 'Capture id (from `capture:start`).' }),
});
const errors = { 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema, 500: ErrorBodySchema };

/** A file name that says what was captured: lab, node, interface and start time. */
function fileName(lab: string, node: string, iface: string, startedAt: number): string {
  const when = new Date(startedAt).toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
  return `${lab}-${node}-${iface}-${when}.pcap`.replace(/[^A-Za-z0-9._-]/g, '_');
}

const captures: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/labs/:name/captures',
    { schema: { summary: "The lab's captures, running and ended (newest first)", params: LabParams, response: { 200: CaptureListSchema, ...errors } } },
    async (req) => {
      app.auth.assertLab(req, req.params.name);
      await app.engine.entry(req.params.name);
      return { captures: app.captures.list(req.params.name) };
    },
  );

  app.get(
    '/api/labs/:name/captures/:id/pcap',
    {
      schema: {
        summary: "The capture's packets as a pcap file (the most recent ones, up to the server's ring size)",
        description: 'Also while the capture runs. Opens in Wireshark or `tcpdump -r`.',
        params: CaptureParams,
        produces: ['application/vnd.tcpdump.pcap'],
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'pcap file' }), ...errors },
      },
    },
    async (req, reply) => {
      app.auth.assertLab(req, req.params.name);
      const found = app.captures.pcap(req.params.name, req.params.id);
      if (!found) throw new HttpError(404, 'not-found', `lab ${req.params.name} has no capture ${req.params.id}`);
      const { info, file } = found;
      return reply
        .header('content-type', 'application/vnd.tcpdump.pcap')
        .header('content-disposition', `attachment; filename="${fileName(info.lab, info.node, info.interface, info.startedAt)}"`)
        .header('cache-control', 'no-store')
        .send(file);
    },
  );
};
export default captures;
