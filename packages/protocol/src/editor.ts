// What the web editor needs besides labs: drafts (the working copy, saved as the user draws, valid
// or not, with the canvas layout), the examples gallery, and the `ip` script of a drawing.
import { Type, type Static } from '@sinclair/typebox';
import type { LabDocument } from './labs.js';

/** Any JSON value (what JSON.parse may give). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A drawing as the editor saved it: a lab document, or any JSON value, because a draft is kept
 * whether or not it is a valid lab yet (it is checked when applied). The schema accepts every JSON
 * value; the type says so.
 */
export type DraftDocument = LabDocument | JsonValue;
export const DraftDocumentSchema = Type.Unsafe<DraftDocument>({
  description: 'The lab document as drawn: any JSON value; may be an invalid lab (it is checked when applied).',
});

/** Node positions on the canvas, by node name (and overlay name). */
export const LayoutSchema = Type.Object(
  {
    positions: Type.Record(
      Type.String(),
      Type.Object({ x: Type.Number(), y: Type.Number() }, { additionalProperties: false }),
    ),
  },
  { title: 'Layout' },
);
export type Layout = Static<typeof LayoutSchema>;

export const DraftPutSchema = Type.Object(
  {
    document: DraftDocumentSchema,
    layout: Type.Optional(LayoutSchema),
  },
  { title: 'DraftPut', additionalProperties: false },
);
export type DraftPut = Static<typeof DraftPutSchema>;

export const DraftSchema = Type.Object(
  {
    name: Type.String(),
    document: DraftDocumentSchema,
    layout: Type.Union([LayoutSchema, Type.Null()]),
    updatedAt: Type.String(),
  },
  { title: 'Draft' },
);
export type Draft = Static<typeof DraftSchema>;

export const DraftListSchema = Type.Object(
  { drafts: Type.Array(Type.Object({ name: Type.String(), updatedAt: Type.String() })) },
  { title: 'DraftList' },
);
export type DraftList = Static<typeof DraftListSchema>;

export const DraftSavedSchema = Type.Object({ name: Type.String(), updatedAt: Type.String() }, { title: 'DraftSaved' });
export type DraftSaved = Static<typeof DraftSavedSchema>;

export const ExampleSchema = Type.Object(
  {
    file: Type.String(),
    name: Type.String({ description: 'The lab name in the file.' }),
    description: Type.String({ description: "The file's leading comment." }),
    text: Type.String({ description: 'The YAML, as written.' }),
  },
  { title: 'Example' },
);
export type Example = Static<typeof ExampleSchema>;
export const ExampleListSchema = Type.Object({ examples: Type.Array(ExampleSchema) }, { title: 'ExampleList' });
export type ExampleList = Static<typeof ExampleListSchema>;

export const ScriptResponseSchema = Type.Object(
  {
    script: Type.String({
      description: 'A shell script of ip/bridge/iptables commands that builds the lab from nothing.',
    }),
  },
  { title: 'ScriptResponse' },
);
export type ScriptResponse = Static<typeof ScriptResponseSchema>;
