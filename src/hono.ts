/**
 * `otel-sessions/hono`: the Hono middleware and its environment type.
 * @module otel-sessions/hono
 */
export { sessions } from './hono/sessions-middleware.js';
export type { SessionsOptions } from './hono/sessions-middleware.js';
export type { Env, SessionVariables } from './hono/env.js';
