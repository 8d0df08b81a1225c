/**
 * `otel-sessions/koa`: the request's session on `ctx.state`.
 * @module otel-sessions/koa
 */
export { koaSessions } from './frameworks/koa.js';
export type { SessionLocals } from './frameworks/session-locals.js';
