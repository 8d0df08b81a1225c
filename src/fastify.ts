/** `otel-sessions/fastify`: a plugin decorating each request with its session. */
export { fastifySessions } from './frameworks/fastify.js';
export type { SessionLocals } from './frameworks/session-locals.js';
