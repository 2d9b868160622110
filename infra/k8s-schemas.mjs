// Validates rendered Kubernetes objects against the Kubernetes API schemas without a cluster, with
// the `kubernetes-models` package (pinned in the workspace catalog), in two passes:
// 1. its validators (JSON Schema, from the API's OpenAPI document): required fields, types, enums,
//    formats — what the API server's own validation of types would refuse;
// 2. its TypeScript types, for unknown fields: the validators let extra properties through, but
//    `kubectl apply` (strict field validation since Kubernetes 1.27) refuses them, and a misspelt
//    field (`mountPropogation`) is otherwise silently ignored. Each object is type-checked as an
//    object literal of its kind's interface, so TypeScript's excess-property check names every
//    field the API does not have.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `apps/v1` + `Deployment` → the module of its model (`v1` is the core group). */
const modelModule = (o) => `kubernetes-models/${o.apiVersion}/${o.kind}`;
const label = (o) => `${o.kind}/${o.metadata?.name}`;

/**
 * Pass 1: every object validated by its kind's model; a kind the package does not know is a problem.
 * @param {Record<string, any>[]} objects
 * @returns {Promise<string[]>}
 */
export async function schemaProblems(objects) {
  const problems = [];
  for (const o of objects) {
    let Model;
    try {
      Model = (await import(modelModule(o)))[o.kind];
    } catch {
      problems.push(`${label(o)}: ${o.apiVersion} ${o.kind} is not a Kubernetes API kind`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (e) {
      problems.push(`${label(o)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return problems;
}

/**
 * Pass 2: fields the API does not know. The objects become one in-memory TypeScript file, one
 * object per line, each typed with its kind's interface; the compiler's diagnostics are mapped back
 * to the object on their line. Only kinds pass 1 knows are given (an unknown module is pass 1's).
 * @param {Record<string, any>[]} objects
 * @returns {string[]}
 */
export function unknownFieldProblems(objects) {
  const file = join(ROOT, 'infra', '__k8s-objects__.ts');
  const lines = objects.map(
    (o, i) => `export const o${i}: import('${modelModule(o)}').I${o.kind} = ${JSON.stringify(o)};`,
  );
  const source = `${lines.join('\n')}\n`;
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (f, lang, ...rest) =>
    f === file ? ts.createSourceFile(f, source, lang) : getSourceFile.call(host, f, lang, ...rest);
  host.fileExists = (f) => f === file || fileExists.call(host, f);
  host.readFile = (f) => (f === file ? source : readFile.call(host, f));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (d.file?.fileName !== file || d.start === undefined) return `TypeScript: ${text}`;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${label(objects[line])}: ${text}`;
  });
}
