// The contract of the Patchbay server, written once in TypeBox: every REST route (routes.ts) and
// every socket.io event (events.ts) with the schemas of what they carry. The server registers its
// routes from the table and validates with these schemas (its OpenAPI document is generated from
// them); the web app calls the routes through the client derived from the table (client.ts).
// Pure: only @sinclair/typebox and @patchbay/topology; the client does I/O through the fetch it is given.
export * from './problem.js';
export * from './labs.js';
export * from './live.js';
export * from './capture.js';
export * from './terminal.js';
export * from './editor.js';
export * from './classroom.js';
export * from './events.js';
export * from './agents.js';
export * from './routes.js';
export * from './client.js';
