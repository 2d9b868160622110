// One lab's exercise on a page: the view (instructions, checks, revealed hints) fetched once, then
// the check runs live (`exercise:subscribe` → `exercise:results`, again after every reconnection),
// and the actions a student or instructor takes on it. A reset of the lab, whoever made it
// (`exercise:reset`), reads the view again and bumps `resets` (the page reads the lab again); the
// session's terminals-only setting follows `exercise:settings`.
import type {
  CheckRun,
  ExerciseClosedEvent,
  ExerciseResetEvent,
  ExerciseSettingsEvent,
  ExerciseView,
} from '@patchbay/protocol';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { asApiError, type ApiError, type Client } from '../api/client';
import type { LiveSocket } from '../api/live';
import { latestRun } from './progress';

export interface ExerciseState {
  view?: ExerciseView;
  run?: CheckRun;
  /** Why the exercise cannot be shown (gone, not allowed, unreachable). */
  error?: ApiError;
  /** The live subscription was refused (the checks still update with "Check now"). */
  liveError?: string;
  busy?: 'check' | 'hint' | 'reset';
  /** What the last action failed with. */
  actionError?: string;
  /** Why the server closed this student's connection (removed by the instructor, the session ended). */
  closed?: ExerciseClosedEvent['reason'];
  /** Resets of the lab seen live (by anyone): the lab drawn is read again at each. */
  resets: number;
}

/** `client`: one with the token that covers the lab. */
export function useExercise(lab: string, client: Client, socket: LiveSocket) {
  const [state, setState] = useState<ExerciseState>({ resets: 0 });
  const patch = useCallback((p: Partial<ExerciseState>) => setState((s) => ({ ...s, ...p })), []);
  const takeRun = useCallback((r: CheckRun) => setState((s) => ({ ...s, run: latestRun(s.run, r) })), []);

  const reload = useCallback(async () => {
    try {
      const view = await client.call('getExercise', { params: { name: lab } });
      setState((s) => ({ ...s, view, error: undefined, run: latestRun(s.run, view.lastRun) }));
    } catch (e) {
      const error = asApiError(e);
      // Unreachable for a moment: keep the page (terminals, drawing) and say so; anything else
      // (ended, gone, not allowed) replaces it.
      setState((s) => (error.status === 0 && s.view ? { ...s, actionError: error.message } : { ...s, error }));
    }
  }, [client, lab]);

  useEffect(() => void reload(), [reload]);

  useEffect(() => {
    const subscribe = async () => {
      const ack = await socket.emitWithAck('exercise:subscribe', { lab });
      patch({ liveError: ack.ok ? undefined : ack.error });
    };
    const onResults = (r: CheckRun) => r.lab === lab && takeRun(r);
    const onClosed = (e: ExerciseClosedEvent) => e.lab === lab && patch({ closed: e.reason });
    // The lab was built again (maybe by someone else): the view too (hints, the instructor's reset time).
    const onReset = (e: ExerciseResetEvent) => {
      if (e.lab !== lab) return;
      setState((s) => ({
        ...s,
        resets: s.resets + 1,
        ...(s.view && e.by === 'instructor' ? { view: { ...s.view, instructorResetAt: e.at } } : {}),
      }));
      void reload();
    };
    const onSettings = (e: ExerciseSettingsEvent) =>
      e.lab === lab && setState((s) => (s.view ? { ...s, view: { ...s.view, terminalsOnly: e.terminalsOnly } } : s));
    const onConnect = () => {
      void subscribe();
      setState((s) => (s.actionError && s.view ? { ...s, actionError: undefined } : s));
    };
    // The server let go of this connection (a student's token ends with their session) or refuses it
    // now: ask for the exercise again, which tells why (401/403/410) or finds it still there.
    const onDisconnect = (reason: string) => reason === 'io server disconnect' && void reload();
    const onRefused = () => void reload();
    socket.on('exercise:results', onResults);
    socket.on('exercise:closed', onClosed);
    socket.on('exercise:reset', onReset);
    socket.on('exercise:settings', onSettings);
    socket.on('connect', onConnect);
    socket.on('disconnect', onDisconnect);
    socket.on('connect_error', onRefused);
    if (socket.connected) void subscribe();
    return () => {
      socket.off('exercise:results', onResults);
      socket.off('exercise:closed', onClosed);
      socket.off('exercise:reset', onReset);
      socket.off('exercise:settings', onSettings);
      socket.off('connect', onConnect);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onRefused);
      if (socket.connected) socket.emit('exercise:unsubscribe', { lab });
    };
  }, [lab, socket, patch, takeRun, reload]);

  const act = useCallback(
    async (busy: NonNullable<ExerciseState['busy']>, run: () => Promise<void>) => {
      patch({ busy, actionError: undefined });
      try {
        await run();
        patch({ busy: undefined });
      } catch (e) {
        patch({ busy: undefined, actionError: e instanceof Error ? e.message : String(e) });
      }
    },
    [patch],
  );

  const actions = useMemo(
    () => ({
      checkNow: () => act('check', async () => takeRun(await client.call('runChecks', { params: { name: lab } }))),
      revealHint: () =>
        act('hint', async () => {
          const h = await client.call('revealHint', { params: { name: lab } });
          setState((s) =>
            s.view
              ? { ...s, view: { ...s.view, hints: h.hints, scenario: { ...s.view.scenario, hintCount: h.hintCount } } }
              : s,
          );
        }),
      /** For the confirm dialog: it shows the failure itself. */
      reset: async () => takeRun(await client.call('resetLab', { params: { name: lab } })),
      /** Run by the caller (the instructor's reset goes through the session route). */
      takeRun,
      reload,
    }),
    [act, client, lab, takeRun, reload],
  );

  return { ...state, actions };
}
