import { getSession } from '../session/context.js';
import { sessionLocals } from './session-locals.js';

/**
 * Koa middleware that puts the request's session on `ctx.state` (`sessionId`, `threadId`,
 * `session`, `thread`, `logger`). The session itself comes from the HTTP edge
 * (`--import otel-sessions/register`); without one, nothing is set.
 * @example
 * app.use(koaSessions());
 * app.use((ctx) => { ctx.body = { sessionId: ctx.state.sessionId }; });
 */
export function koaSessions() {
  return async function sessionsState(ctx: { state: object }, next: () => Promise<unknown>): Promise<void> {
    const session = getSession();
    if (session !== undefined) Object.assign(ctx.state, sessionLocals(session));
    await next();
  };
}
