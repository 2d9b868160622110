// /class (sessions), /class/SESSION (the dashboard), /class/SESSION/STUDENT (a student's lab, read-only
// for the instructor: topology, tables, checks; the instructor may reset it).
import { getToken } from '../api/token';
import { client } from '../api/client';
import { AppLink, ClassHeader } from './ClassHeader';
import { Dashboard, useLiveSession } from './Dashboard';
import { ExerciseWorkspace } from './ExerciseWorkspace';
import { SessionsPage } from './SessionsPage';
import './classroom.css';

function StudentView({ session: id, student: studentId }: { session: string; student: string }) {
  const { session, error } = useLiveSession(id);
  const student = session?.students.find((s) => s.id === studentId);
  if (!student) {
    const why =
      error ??
      (session
        ? session.endedAt
          ? 'This session has ended: its labs are gone.'
          : `No student ${studentId} in this session.`
        : 'Loading…');
    return (
      <div className="pb-class-page">
        <ClassHeader />
        <p
          className={`pb-class-message ${error || session ? 'pb-error' : 'pb-muted'}`}
          role={error || session ? 'alert' : 'status'}
        >
          {why}
        </p>
      </div>
    );
  }
  return (
    <ExerciseWorkspace
      key={student.lab}
      lab={student.lab}
      mode={{
        role: 'instructor',
        studentName: student.name,
        resetStudent: () => client.call('resetStudent', { params: { id, student: studentId } }),
      }}
      header={
        <nav className="pb-crumbs" aria-label="Where you are">
          <strong className="pb-brand">Patchbay</strong> <AppLink to="/class">Class sessions</AppLink> ›{' '}
          <AppLink to={`/class/${encodeURIComponent(id)}`} testid="back-to-dashboard">
            session {session?.code ?? id}
          </AppLink>{' '}
          ›
        </nav>
      }
    />
  );
}

export function ClassPage({ session, student }: { session?: string; student?: string }) {
  if (!getToken()) {
    return (
      <div className="pb-class-page">
        <ClassHeader />
        <p className="pb-class-message pb-error" role="alert">
          The class pages are the instructor's: open the address <code>patchbay serve</code> printed (it ends in{' '}
          <code>?token=…</code>).
        </p>
      </div>
    );
  }
  if (session && student) return <StudentView session={session} student={student} />;
  if (session) return <Dashboard key={session} id={session} />;
  return <SessionsPage />;
}
