/**
 * `otel-sessions/hono`: the Hono middleware and its environment type, `SessionsEnv` (named so
 * as not to shadow Hono's own `Env`; the guide's `Env` is in `otel-sessions`).
 * @module otel-sessions/hono
 */
export { sessions } from './hono/sessions-middleware.js';
export type { SessionsOptions } from './hono/sessions-middleware.js';
export type { SessionsEnv, SessionVariables } from './hono/env.js';
