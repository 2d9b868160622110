export * from './app.js';
export * from './store/store.js';
export * from './admin-token.js';
export * from './errors.js';
export * from './http-error.js';
export * from './start.js';
export type { AuthService, Scope } from './plugins/services/auth.js';
export { EXERCISE_HUB_DEFAULTS } from './classroom/exercises.js';
export { startAgent, agentOptionsProblem, AGENT_PORT, type AgentStartOptions } from './agents/agent.js';
