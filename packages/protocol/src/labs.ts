// The lab routes' bodies: lab documents, summaries, apply and destroy results, errors.
import { Type, type Static } from '@sinclair/typebox';
import { KERNEL_FEATURES, LabSchema, LabStateViewSchema, NAME_RE } from '@patchbay/topology';

/** The lab document: the lab file format (LAB-FORMAT.md), as JSON. */
export const LabDocument = LabSchema;
export type LabDocument = Static<typeof LabDocument>;

import { ProblemSchema } from './problem.js';

/** 400 for a document with problems: nothing was changed. */
export const ProblemsErrorSchema = Type.Object(
  { error: Type.String(), code: Type.String(), problems: Type.Array(ProblemSchema) },
  { title: 'ProblemsError' },
);
export type ProblemsError = Static<typeof ProblemsErrorSchema>;

/** Every other error. 5xx bodies carry a generic message and the request id only. */
export const ErrorBodySchema = Type.Object(
  {
    error: Type.String(),
    code: Type.String(),
    requestId: Type.Optional(Type.String()),
    failure: Type.Optional(
      Type.Object(
        {
          command: Type.String(),
          error: Type.String({ description: "The kernel's (or tool's) message." }),
          subject: Type.Object({
            node: Type.String(),
            iface: Type.Optional(Type.String()),
            detail: Type.Optional(Type.String()),
          }),
          rolledBack: Type.Boolean(),
        },
        {
          description:
            'A failed apply: the command that failed and the lab object it was for; the lab was converged back.',
        },
      ),
    ),
  },
  { title: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBodySchema>;

export const HealthSchema = Type.Object({ ok: Type.Literal(true) }, { title: 'Health' });
export type Health = Static<typeof HealthSchema>;

/** A kernel feature a lab may need (topology's `KERNEL_FEATURES`). */
export const KernelFeatureSchema = Type.Union(
  KERNEL_FEATURES.map((f) => Type.Literal(f)),
  { title: 'KernelFeature' },
);

/** What this machine's kernel can run: the editor greys out what a lab here could never use. */
export const KernelFeaturesSchema = Type.Object(
  {
    available: Type.Array(KernelFeatureSchema, { description: 'Features this kernel has.' }),
    missing: Type.Array(
      Type.Object({
        feature: KernelFeatureSchema,
        description: Type.String({ description: 'The feature in words (topology FEATURE_DESCRIPTIONS).' }),
      }),
      { description: 'Features a lab may use that this kernel lacks: a lab using one is refused.' },
    ),
  },
  { title: 'KernelFeatures' },
);
export type KernelFeatures = Static<typeof KernelFeaturesSchema>;

export const LabHealthSchema = Type.Union(
  [
    Type.Literal('ok'),
    Type.Literal('degraded'),
    Type.Literal('applying'),
    Type.Literal('failed'),
    Type.Literal('orphaned'),
  ],
  {
    description:
      'ok; degraded (kernel differs from the document); applying; failed; orphaned (namespaces no journal claims).',
  },
);

/**
 * A class session's student lab: whose it is, so that a list of labs names the student and their
 * session (the lab name alone, `s<code>-<nn>`, says neither) and the editor can warn before changing it.
 */
export const LabStudentSchema = Type.Object(
  {
    session: Type.String({ description: 'The class session (its id).' }),
    code: Type.String({ description: "The session's join code." }),
    exercise: Type.String({ description: "The title of the session's exercise." }),
    student: Type.String({ description: 'The student (their id in the session).' }),
    name: Type.String({ description: 'The name the student joined with.' }),
  },
  { title: 'LabStudent' },
);
export type LabStudent = Static<typeof LabStudentSchema>;

export const LabSummarySchema = Type.Object(
  {
    name: Type.String(),
    nodes: Type.Integer(),
    namespaces: Type.Integer(),
    health: LabHealthSchema,
    revision: Type.Integer(),
    updatedAt: Type.Optional(Type.String()),
    detail: Type.Optional(Type.String({ description: 'Why the health is not ok.' })),
    student: Type.Optional(LabStudentSchema),
    agent: Type.Optional(Type.String({ description: 'The agent (lab host) that holds the lab.' })),
  },
  { title: 'LabSummary' },
);
export type LabSummary = Static<typeof LabSummarySchema>;

export const LabListSchema = Type.Object({ labs: Type.Array(LabSummarySchema) }, { title: 'LabList' });
export type LabList = Static<typeof LabListSchema>;

/** One kernel operation of an apply, in lab terms, with the command a person would type. */
export const AppliedOpSchema = Type.Object(
  {
    phase: Type.String(),
    kind: Type.String({
      description:
        'namespace, marker, link, address, route, sysctl, fdb, nat, neigh or process (a `run:` process started or stopped).',
    }),
    action: Type.Union([Type.Literal('add'), Type.Literal('change'), Type.Literal('remove')]),
    subject: Type.Object({
      node: Type.String(),
      iface: Type.Optional(Type.String()),
      detail: Type.Optional(Type.String()),
    }),
    reason: Type.String(),
    command: Type.String(),
  },
  { title: 'AppliedOp' },
);
export type AppliedOp = Static<typeof AppliedOpSchema>;

export const TimingsSchema = Type.Object({
  observeMs: Type.Number(),
  planMs: Type.Number(),
  executeMs: Type.Number(),
  verifyMs: Type.Number(),
  totalMs: Type.Number(),
});

export const ApplyResponseSchema = Type.Object(
  {
    lab: Type.String(),
    revision: Type.Integer(),
    ops: Type.Array(AppliedOpSchema, { description: 'What was done; empty when the kernel already matched.' }),
    drift: Type.Array(Type.String(), {
      description: 'What still differs after applying (should be empty; reported, never hidden).',
    }),
    warnings: Type.Optional(
      Type.Array(ProblemSchema, {
        description:
          'What in the lab is valid but probably not meant (validation warnings: overlapping subnets, policy rules that do nothing…); the lab was applied all the same.',
      }),
    ),
    timings: TimingsSchema,
    dryRun: Type.Boolean({ description: 'true: the plan only (`?dryRun=true`); nothing was changed.' }),
  },
  { title: 'ApplyResponse' },
);
export type ApplyResponse = Static<typeof ApplyResponseSchema>;

export const DestroyResponseSchema = Type.Object(
  { lab: Type.String(), removed: Type.Array(Type.String(), { description: 'Namespaces removed.' }) },
  { title: 'DestroyResponse' },
);
export type DestroyResponse = Static<typeof DestroyResponseSchema>;

/** Live kernel state of a lab, as `patchbay state --json` (the views of @patchbay/topology). */
export const LabStateSchema = LabStateViewSchema;

export const LabNameSchema = Type.String({ pattern: NAME_RE.source, description: 'Lab name.' });
export const LabNameParamsSchema = Type.Object({ name: LabNameSchema });
export type LabNameParams = Static<typeof LabNameParamsSchema>;
