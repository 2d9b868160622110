// Placeholder pages, replaced by the classroom work (join, exercise, class dashboard).
export function JoinPage(_props: { code: string }) {
  return <div className="page">Joining…</div>;
}
export function ExercisePage(_props: { lab: string }) {
  return <div className="page">Exercise</div>;
}
export function ClassPage(_props: { session?: string; student?: string }) {
  return <div className="page">Class sessions</div>;
}
