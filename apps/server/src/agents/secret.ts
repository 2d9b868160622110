// PATCHBAY_AGENT_SECRET: what agents and coordinators prove to each other. The same rule as the
// instructor token (at least 128 bits); compared in constant time (of its SHA-256, so that the
// length of the secret does not show either).
import { createHash, timingSafeEqual } from 'node:crypto';
import { instructorTokenProblem } from '../admin-token.js';

/** Why `secret` may not be the agent secret, or undefined. */
export const agentSecretProblem = (secret: string): string | undefined =>
  instructorTokenProblem(secret, 'PATCHBAY_AGENT_SECRET');

/** PATCHBAY_AGENT_SECRET from the environment (undefined when unset); throws for a weak or malformed one. */
export function agentSecretFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const secret = env['PATCHBAY_AGENT_SECRET']?.trim();
  if (!secret) return undefined;
  const problem = agentSecretProblem(secret);
  if (problem) throw new Error(problem);
  return secret;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Whether `given` is `secret`, in time that does not depend on where they differ. */
export const sameSecret = (given: string, secret: string): boolean => timingSafeEqual(digest(given), digest(secret));
