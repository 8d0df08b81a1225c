/**
 * `otel-sessions/fastify`: a plugin decorating each request with its session.
 * @module otel-sessions/fastify
 */
export { fastifySessions } from './frameworks/fastify.js';
export type { SessionLocals } from './frameworks/session-locals.js';
