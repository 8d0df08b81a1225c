/**
 * `otel-sessions/fastify`: a plugin decorating each request with its session.
 * @module otel-sessions/fastify
 */
// The runtime module: with it, fastifySessions finds a runtime made from the environment when the app
// configured none (an SDK of its own, without sessionsConfiguration).
import './runtime/runtime.js';
export { fastifySessions } from './frameworks/fastify.js';
export type { SessionLocals } from './frameworks/session-locals.js';
