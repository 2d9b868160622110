// One lab's exercise on a page: the view (instructions, checks, revealed hints) fetched once, then
// the check runs live (`exercise:subscribe` → `exercise:results`, again after every reconnection of
// the connection manager, with the view read again), and the actions a student or instructor takes
// on it. A reset of the lab, whoever made it (`exercise:reset`), reads the view again and bumps
// `resets` (the page reads the lab again); the session's terminals-only setting follows
// `exercise:settings`. The student's result is kept (final-result.ts): it is what they see once the
// session ended.
import type {
  CheckRun,
  ExerciseClosedEvent,
  ExerciseResetEvent,
  ExerciseSettingsEvent,
  ExerciseView,
} from '@patchbay/protocol';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { asApiError, type ApiError, type Client } from '../api/client';
import { giveUpSocket, isNetworkFailure } from '../api/connection';
import type { LiveSocket } from '../api/live';
import { loadResult, nextResult, saveResult, type StudentResult } from './final-result';
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
  /** The lab was made again on another lab host (its host was lost): when, and the server's reason. */
  failover?: { at: string; message?: string };
  /** Resets of the lab seen live (by anyone): the lab drawn is read again at each. */
  resets: number;
  /** The latest result this browser saw for the lab (kept across reloads): a student's final result once it ended. */
  result?: StudentResult;
}

/** Not reached, or reached while stopping (or through a gateway that lost it): the server is away for now. */
const isAway = (status: number) => status === 0 || (status >= 502 && status <= 504);

/** Answers after which this page's token no longer opens the lab: the story is over, no reconnecting. */
const isFinal = (status: number) => status === 401 || status === 403 || status === 404 || status === 410;

/** `client`: one with the token that covers the lab. */
export function useExercise(lab: string, client: Client, socket: LiveSocket) {
  const [state, setState] = useState<ExerciseState>(() => {
    const result = loadResult(lab);
    return result ? { resets: 0, result } : { resets: 0 };
  });
  const patch = useCallback((p: Partial<ExerciseState>) => setState((s) => ({ ...s, ...p })), []);
  const takeRun = useCallback(
    (r: CheckRun | undefined) =>
      setState((s) => {
        if (!r) return s;
        const result = nextResult(s.result, r);
        if (result !== s.result) saveResult(lab, result);
        return { ...s, run: latestRun(s.run, r), result };
      }),
    [lab],
  );

  const reload = useCallback(async () => {
    try {
      const view = await client.call('getExercise', { params: { name: lab } });
      setState((s) => ({ ...s, view, error: undefined }));
      takeRun(view.lastRun);
    } catch (e) {
      const error = asApiError(e);
      // Unreachable for a moment: keep the page (terminals, drawing); the connection banner says so
      // and the connection manager brings it back. Anything else (ended, gone, not allowed) replaces it.
      if (isFinal(error.status)) giveUpSocket(socket);
      setState((s) => (isAway(error.status) && s.view ? s : { ...s, error }));
    }
  }, [client, lab, socket, takeRun]);

  useEffect(() => void reload(), [reload]);

  useEffect(() => {
    const subscribe = async () => {
      const ack = await socket.emitWithAck('exercise:subscribe', { lab });
      patch({ liveError: ack.ok ? undefined : ack.error });
    };
    const onResults = (r: CheckRun) => r.lab === lab && takeRun(r);
    const onClosed = (e: ExerciseClosedEvent) => {
      if (e.lab !== lab) return;
      // The student's token is revoked: reconnecting cannot help.
      giveUpSocket(socket);
      patch({ closed: e.reason });
    };
    // The lab was built again (maybe by someone else): the view too (hints, the instructor's reset time).
    const onReset = (e: ExerciseResetEvent) => {
      if (e.lab !== lab) return;
      setState((s) => ({
        ...s,
        resets: s.resets + 1,
        ...(s.view && e.by === 'instructor' ? { view: { ...s.view, instructorResetAt: e.at } } : {}),
        ...(e.by === 'failover' ? { failover: { at: e.at, ...(e.message ? { message: e.message } : {}) } } : {}),
      }));
      void reload();
    };
    const onSettings = (e: ExerciseSettingsEvent) =>
      e.lab === lab && setState((s) => (s.view ? { ...s, view: { ...s.view, terminalsOnly: e.terminalsOnly } } : s));
    // Back after a reconnection: subscribe again, and read the view again (hints, a reset meanwhile).
    const onConnect = () => {
      void subscribe();
      void reload();
      setState((s) => (s.actionError && s.view ? { ...s, actionError: undefined } : s));
    };
    // The server let go of this connection (a student's token ends with their session) or refuses it
    // now: ask for the exercise again, which tells why (401/403/410) or finds it still there. A
    // network failure is the connection manager's to retry.
    const onDisconnect = (reason: string) => reason === 'io server disconnect' && void reload();
    const onRefused = (err: Error) => !isNetworkFailure(err) && void reload();
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
