// /join/CODE: a student gives a name (and the code, when the link had none), joins, keeps the token
// the server hands out for their lab (beside, never over, an instructor's token), and goes to the
// exercise. A name taken in the session is refused, except to the browser that joined under it.
import { JoinInputSchema } from '@patchbay/protocol';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { ApiError, client } from '../api/client';
import { getLabToken, joinedLabFor, rememberJoin, rememberJoinCode } from '../api/token';
import { navigate } from '../routes';
import { joinErrorText, normalizeCode } from './progress';
import './classroom.css';

const NAME_MAX = JoinInputSchema.properties.name.maxLength ?? 40;
const NAME_KEY = 'patchbay.join.name';

export function JoinPage({ code: fromPath }: { code: string }) {
  const id = useId();
  const [code, setCode] = useState(fromPath);
  const [name, setName] = useState(() => localStorage.getItem(NAME_KEY) ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  // A second visit to the join link from the same browser (a closed tab, a reload): back to the same
  // lab rather than a second seat in the class.
  const earlier = fromPath ? joinedLabFor(normalizeCode(fromPath)) : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const c = normalizeCode(code);
    const n = name.trim();
    if (c.length < 4) return setError('The join code has at least 4 letters or digits: check it with your instructor.');
    if (!n) return setError('Type your name: it is how your instructor sees you.');
    setBusy(true);
    setError(undefined);
    // This browser joined the session before: its token, so that the same name gets that seat back
    // (a name is one student's in a session; the server refuses it to anyone else).
    const before = joinedLabFor(c);
    const rejoin = before ? getLabToken(before.lab) : null;
    try {
      const joined = await client.call(
        'join',
        { body: { code: c, name: n, ...(rejoin ? { rejoin } : {}) } },
        { token: null },
      );
      localStorage.setItem(NAME_KEY, n);
      rememberJoin(joined.lab, joined.token, { name: n, session: joined.session, student: joined.student });
      rememberJoinCode(c, joined.lab);
      navigate(`/exercise/${encodeURIComponent(joined.lab)}`);
    } catch (err) {
      setError(err instanceof ApiError ? joinErrorText(err.status, err.message) : String(err));
      setBusy(false);
    }
  };

  return (
    <div className="pb-class-page pb-join">
      <form
        className="pb-join-card"
        onSubmit={(e) => void submit(e)}
        aria-labelledby={`${id}-title`}
        data-testid="join-form"
      >
        <h1 id={`${id}-title`}>Join a Patchbay class</h1>
        {fromPath ? (
          <p>
            Join code <strong className="mono pb-join-code">{fromPath}</strong>
          </p>
        ) : (
          <>
            <label htmlFor={`${id}-code`}>Join code</label>
            <input
              id={`${id}-code`}
              ref={first}
              value={code}
              onChange={(e) => setCode(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              maxLength={24}
              data-testid="join-code"
            />
          </>
        )}
        {earlier && (
          <p className="pb-join-again" data-testid="join-continue">
            You joined this class{earlier.record ? ` as ${earlier.record.name}` : ''}.{' '}
            <a
              href={`/exercise/${encodeURIComponent(earlier.lab)}`}
              onClick={(e) => {
                e.preventDefault();
                navigate(`/exercise/${encodeURIComponent(earlier.lab)}`);
              }}
            >
              Continue to your lab
            </a>
            , or join again as someone else below.
          </p>
        )}
        <label htmlFor={`${id}-name`}>Your name</label>
        <input
          id={`${id}-name`}
          {...(fromPath ? { ref: first } : {})}
          value={name}
          onChange={(e) => setName(e.target.value)}
          maxLength={NAME_MAX}
          autoComplete="name"
          data-testid="join-name"
        />
        {error && (
          <p className="pb-error" role="alert" data-testid="join-error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy} data-testid="join-submit">
          {busy ? 'Joining… (your lab is being built)' : 'Join'}
        </button>
      </form>
    </div>
  );
}
