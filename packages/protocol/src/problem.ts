// One problem found in a document or payload; its own module so that every part of the contract can
// use it without importing the package's index (an import cycle would leave it uninitialized).
import { Type, type Static } from '@sinclair/typebox';

export const ProblemSchema = Type.Object(
  {
    path: Type.String({
      description: 'Where in the document, e.g. links[0].a.addresses[0]; "" for the whole document.',
    }),
    message: Type.String(),
    code: Type.String({ description: 'Stable code, e.g. addr.invalid.' }),
  },
  { title: 'Problem' },
);
export type Problem = Static<typeof ProblemSchema>;
