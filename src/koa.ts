/**
 * `otel-sessions/koa`: the request's session on `ctx.state`.
 * @module otel-sessions/koa
 */
// The runtime module: with it, koaSessions() finds a runtime made from the environment when the app
// configured none (an SDK of its own, without sessionsConfiguration).
import './runtime/runtime.js';
export { koaSessions } from './frameworks/koa.js';
export type { SessionLocals } from './frameworks/session-locals.js';
