import '@xyflow/react/dist/style.css';
import './styles.css';
import { ReactFlowProvider } from '@xyflow/react';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { takeTokenFromAddress } from './api/token';
import { ConnectionBanner } from './components/ConnectionBanner';
import { EditorPage } from './editor/EditorPage';
import { AuthorPage } from './author/AuthorPage';
import { ClassPage, ExercisePage, JoinPage } from './classroom/pages';
import { routeOf } from './routes';

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
      return <EditorPage />;
  }
}

takeTokenFromAddress();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ReactFlowProvider>
      <ConnectionBanner />
      <Root />
    </ReactFlowProvider>
  </StrictMode>,
);
