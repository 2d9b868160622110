// The classroom pages main.tsx routes to: a student joins (/join/CODE) and works (/exercise/LAB);
// the instructor runs sessions (/class…).
export { ClassPage } from './ClassPage';
export { ExercisePage } from './ExercisePage';
export { JoinPage } from './JoinPage';
