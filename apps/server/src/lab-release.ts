// Before a lab's namespaces go away (destroy, reset, an idle student's lab reaped), everything the
// server holds in them must let go: the live tables' and the exercise checks' watcher sockets, and
// the pings, captures and terminals running there — each would keep a deleted namespace alive.
import type { FastifyInstance } from 'fastify';

export async function releaseLab(app: FastifyInstance, lab: string): Promise<void> {
  await app.tables.closeLab(lab);
  await app.exercises.release(lab);
  await app.labProcesses.release(lab);
  app.captures.forget(lab);
}
