/**
 * `otel-sessions/express`: the request's session on `res.locals`.
 * @module otel-sessions/express
 */
// The runtime module: with it, expressSessions() finds a runtime made from the environment when the app
// configured none (an SDK of its own, without sessionsConfiguration).
import './runtime/runtime.js';
export { expressSessions } from './frameworks/express.js';
export type { SessionLocals } from './frameworks/session-locals.js';
