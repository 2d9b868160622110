// The names of the files the web app saves. A lab and the exercise made from it often share a
// name, so the exercise's file says what it is (`NAME.scenario.yaml`, docs/spec/SCENARIO-FORMAT.md):
// saving both into one folder keeps both, and the file tells the Open dialog and the CLI apart at a glance.

/** A lab file: `NAME.yaml` (docs/spec/LAB-FORMAT.md). */
export const labFileName = (lab: string): string => `${lab || 'lab'}.yaml`;

/** The shell script that builds a lab with ip/bridge commands. */
export const labScriptFileName = (lab: string): string => `${lab || 'lab'}.sh`;

/** An exercise (scenario) file: `ID.scenario.yaml`. */
export const scenarioFileName = (id: string): string => `${id || 'exercise'}.scenario.yaml`;
