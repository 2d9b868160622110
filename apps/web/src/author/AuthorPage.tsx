// Placeholder, replaced by the authoring work.
export function AuthorPage() {
  return <div className="page">Author an exercise</div>;
}
