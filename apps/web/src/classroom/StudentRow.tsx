// One student's row on the dashboard: presence, progress bar, a dot per check, hints, last check,
// solve time, whether the student changed their lab through the API themselves, and the
// instructor's actions (open the lab read-only, reset it, remove the student).
import { plural } from '@patchbay/topology';
import type { Session, StudentProgress } from '@patchbay/protocol';
import { AppLink } from './ClassHeader';
import { agoText, checkDots, checkDotText, clockText, percent, solved, solvedText, summaryText } from './progress';
import { apiChangesText, movedText } from './student-changes';

export function StudentRow({
  session,
  student,
  now,
  offline = false,
  onReset,
  onRemove,
}: {
  session: Session;
  student: StudentProgress;
  now: number;
  /** The dashboard has lost the server: presence is unknown, not what it last was. */
  offline?: boolean;
  onReset: () => void;
  onRemove: () => void;
}) {
  // Before a first run there are no results: the session's check list names the dots.
  const placeholders = student.results.length
    ? []
    : (session.scenario.checkList ??
      Array.from({ length: student.total || session.scenario.checks }, (_, i) => ({
        id: `#${i + 1}`,
        title: `check ${i + 1}`,
      })));
  const checks = checkDots(placeholders, student.results);
  const done = solved(student);
  const ended = Boolean(session.endedAt);
  const changedByStudent = apiChangesText(student.apiChanges);
  const moved = movedText(student.moved);
  return (
    <tr
      data-testid="student-row"
      data-student={student.name}
      data-passed={student.passed}
      data-total={student.total}
      className={done ? 'solved' : undefined}
    >
      <th scope="row">
        {student.online !== undefined &&
          (offline ? (
            <span
              className="pb-presence unknown"
              title="unknown: the dashboard is not connected to the server"
              aria-label="presence unknown"
              data-testid="student-online"
              data-online="unknown"
            />
          ) : (
            <span
              className={`pb-presence ${student.online ? 'on' : 'off'}`}
              title={student.online ? 'has the exercise open' : 'not connected'}
              aria-label={student.online ? 'online' : 'offline'}
              data-testid="student-online"
              data-online={String(student.online)}
            />
          ))}
        {student.name}
        {changedByStudent && (
          <WarnBadge
            className="pb-api-changes"
            text={changedByStudent}
            testid="student-api-changes"
            data={{ 'data-count': student.apiChanges?.count }}
          />
        )}
        {moved && (
          <WarnBadge
            className="pb-moved"
            text={moved}
            testid="student-moved"
            data={{ 'data-from': student.moved?.from }}
          />
        )}
      </th>
      <td>
        <div className="pb-progress-cell">
          <div
            className="pb-bar"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={student.total}
            aria-valuenow={student.passed}
            aria-label={`${student.name}: ${student.passed} of ${plural(student.total, 'check')}`}
          >
            <div
              className={`pb-bar-fill ${done ? 'ok' : ''}`}
              style={{ width: `${percent(student.passed, student.total)}%` }}
            />
          </div>
          <span className="mono" data-testid="student-summary">
            {summaryText(student.results.length ? student.passed : undefined, student.total)}
          </span>
        </div>
      </td>
      <td>
        <span className="pb-dots">
          {/* Focusable, so the reason is reachable by keyboard (shown on focus) and read by screen readers. */}
          {checks.map((c) => (
            <span
              key={c.id}
              className={`pb-check-dot ${c.state}`}
              tabIndex={0}
              role="img"
              aria-label={checkDotText(c)}
              data-testid="check-dot"
              data-state={c.state}
            >
              <span className="pb-dot-tip" aria-hidden="true" data-testid="check-dot-reason">
                {checkDotText(c)}
              </span>
            </span>
          ))}
        </span>
      </td>
      <td className="pb-num">{student.hintsShown}</td>
      <td title={agoText(student.lastCheckAt, now)}>{clockText(student.lastCheckAt)}</td>
      <td data-testid="student-solved" data-slipped={String(Boolean(student.solvedAt) && !done)}>
        {solvedText(student)}
      </td>
      <td className="pb-row-actions">
        {!ended && (
          <>
            <AppLink
              to={`/class/${encodeURIComponent(session.id)}/${encodeURIComponent(student.id)}`}
              testid="open-student"
            >
              Open lab
            </AppLink>
            <button type="button" onClick={onReset} data-testid="reset-student">
              Reset…
            </button>
            <button
              type="button"
              className="danger"
              onClick={onRemove}
              data-testid="remove-student"
              aria-label={`Remove ${student.name}…`}
            >
              Remove…
            </button>
          </>
        )}
      </td>
    </tr>
  );
}

/** A warning badge beside a student's name: its text is its title too, so a cut-off badge can be read whole. */
function WarnBadge(props: {
  className: string;
  text: string;
  testid: string;
  data: Record<`data-${string}`, string | number | undefined>;
}) {
  return (
    <span className={`badge warn ${props.className}`} title={props.text} data-testid={props.testid} {...props.data}>
      {props.text}
    </span>
  );
}
