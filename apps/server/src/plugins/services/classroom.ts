// Exercises and class sessions as services: `app.exercises` (check runs, their live results, the
// watch on exercise labs; socket events `exercise:*` and `session:*`) and `app.classroom`
// (sessions, joins, the end of a session). It listens to the engine's lifecycle: before a lab's
// namespaces go (`removing`) the check run probing it finishes first; a lab applied by anyone (an
// editor's apply, a reset) has its checks run again (`applied`). The socket guard and rate limit of the live plugin apply
// to these events too: its connection handler runs first.
import fp from 'fastify-plugin';
import { ExerciseHub, type ExerciseHubOptions } from '../../classroom/exercises.js';
import { Classroom } from '../../classroom/sessions.js';
import { Failover } from '../../agents/failover.js';

export default fp<Partial<ExerciseHubOptions>>(
  async (app, opts) => {
    const exercises = new ExerciseHub(app, app.io, opts);
    app.decorate('exercises', exercises);
    app.decorate('classroom', new Classroom(app, exercises));
    app.io.on('connection', (socket) => exercises.register(socket));
    app.terminals.onEnter((lab) => exercises.terminalEnter(lab));
    const stopListening = [
      app.engine.on('removing', (e) => exercises.probesEnded(e.lab)),
      app.engine.on('applied', (e) => exercises.labChanged(e.lab)),
    ];
    // Several lab hosts: a lost agent's students get new labs elsewhere (agents/failover.ts).
    const failover = app.agentLink !== undefined ? new Failover(app, exercises) : undefined;
    app.addHook('preClose', async () => {
      await failover?.close();
      for (const stop of stopListening) stop();
      await exercises.close();
    });
  },
  { name: 'classroom', dependencies: ['store', 'engine', 'auth', 'live', 'agents'] },
);
