// The app's entry: routes an address to its page (routes.ts). Each page is its own chunk, loaded
// when its address is opened: a student's join page loads neither the editor nor React Flow
// (`pnpm bench:pages` measures what each page loads).
import './styles.css';
import { lazy, StrictMode, Suspense, useEffect, useState, type ComponentType } from 'react';
import { createRoot } from 'react-dom/client';
import { takeTokenFromAddress } from './api/token';
import { ConnectionBanner } from './components/ConnectionBanner';
import { sendStudentToExercise } from './editor/student-redirect';
import { routeOf } from './routes';

/** A page that draws a lab: React Flow's provider (and its styles) come with the page's chunk. */
function withFlow<P extends object>(load: () => Promise<ComponentType<P>>) {
  return lazy(async () => {
    const [Page, { ReactFlowProvider }] = await Promise.all([load(), import('@xyflow/react'), import('./flow-styles')]);
    return {
      default: (props: P) => (
        <ReactFlowProvider>
          <Page {...props} />
        </ReactFlowProvider>
      ),
    };
  });
}

const JoinPage = lazy(() => import('./classroom/JoinPage').then((m) => ({ default: m.JoinPage })));
const ExercisePage = withFlow(() => import('./classroom/ExercisePage').then((m) => m.ExercisePage));
const ClassPage = withFlow(() => import('./classroom/ClassPage').then((m) => m.ClassPage));
const AuthorPage = withFlow(() => import('./author/AuthorPage').then((m) => m.AuthorPage));
const EditorEntry = withFlow(() => import('./editor/EditorEntry').then((m) => m.EditorEntry));

function Root() {
  const [route, setRoute] = useState(() => routeOf(window.location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(routeOf(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  switch (route.page) {
    case 'join':
      return <JoinPage code={route.code} />;
    case 'exercise':
      return <ExercisePage key={route.lab} lab={route.lab} />;
    case 'class':
      return <ClassPage session={route.session} student={route.student} />;
    case 'author':
      return <AuthorPage />;
    default:
      return <EditorEntry />;
  }
}

takeTokenFromAddress();
sendStudentToExercise();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ConnectionBanner />
    <Suspense
      fallback={
        <p className="pb-page-note" role="status" data-testid="page-loading">
          Loading…
        </p>
      }
    >
      <Root />
    </Suspense>
  </StrictMode>,
);
