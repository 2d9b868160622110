// The engine as a service (`app.engine`); the caller creates, recovers and closes it. Its
// lifecycle listeners' failures and watcher trouble are logged with the app's logger.
// A lab held at its CPU ceiling for seconds is demoted to the kernel's idle class while it stays
// busy (engine cpu-hog-guard.ts), so the other students' shells never wait behind it.
// The server's event loop and the shells it starts run with a short scheduler slice (kernel
// sched-slice.ts): a keystroke's echo is not kept waiting behind batch work such as check runs.
import { CpuHogGuard, type Engine } from '@patchbay/engine';
import { useInteractiveSlice } from '@patchbay/kernel';
import fp from 'fastify-plugin';

export default fp<{ engine: Engine }>(
  async (app, opts) => {
    app.decorate('engine', opts.engine);
    opts.engine.setLog({ warn: (fields, message) => app.log.warn(fields, message) });
    const cpuHogs = new CpuHogGuard(opts.engine.prefix, (e) =>
      app.log.info(
        { lab: e.lab },
        e.demoted ? 'lab held at its CPU ceiling: demoted to the idle CPU class' : 'lab calm again: CPU class restored',
      ),
    );
    app.decorate('cpuHogs', cpuHogs);
    // Before any shell is started (they inherit it); once per process, ~0.1 s.
    const slice = await useInteractiveSlice();
    if (slice.applied) app.log.debug({ sliceUs: slice.sliceUs }, 'short scheduler slice for the server and its shells');
    else app.log.info({ reason: slice.reason }, 'no short scheduler slice (latency may suffer under load)');
    cpuHogs.start();
    app.addHook('onClose', async () => cpuHogs.stop());
  },
  { name: 'engine' },
);
