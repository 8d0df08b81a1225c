/**
 * `otel-sessions/express`: the request's session on `res.locals`.
 * @module otel-sessions/express
 */
export { expressSessions } from './frameworks/express.js';
export type { SessionLocals } from './frameworks/session-locals.js';
