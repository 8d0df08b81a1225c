import { getSession } from '../session/context.js';
import { sessionLocals } from './session-locals.js';

/**
 * Express middleware that puts the request's session on `res.locals` (`sessionId`,
 * `threadId`, `session`, `thread`, `logger`). The session itself comes from the HTTP edge
 * (`--import otel-sessions/register`); without one, nothing is set.
 * @example
 * app.use(expressSessions());
 * app.post('/chat', (req, res) => res.json({ sessionId: res.locals.sessionId }));
 */
export function expressSessions() {
  return function sessionsLocals(_request: unknown, response: { locals: object }, next: () => void): void {
    const session = getSession();
    if (session !== undefined) Object.assign(response.locals, sessionLocals(session));
    next();
  };
}
