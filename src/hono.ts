/**
 * `otel-sessions/hono`: the Hono middleware and its environment type, `SessionsEnv` (named so
 * as not to shadow Hono's own `Env`; the guide's `Env` is in `otel-sessions`).
 * @module otel-sessions/hono
 */
// The runtime module: with it, sessions() finds a runtime made from the environment when the app
// configured none (an SDK of its own, without sessionsConfiguration).
import './runtime/runtime.js';
export { sessions } from './hono/sessions-middleware.js';
export type { SessionsOptions } from './hono/sessions-middleware.js';
export type { SessionsEnv, SessionVariables } from './hono/env.js';
