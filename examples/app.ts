// A Hono app mounting the guide's route and agents behind the sessions middleware.
import { Hono } from 'hono';
import type { SessionsEnv } from 'otel-sessions';
import { sessions, type SessionsOptions } from 'otel-sessions/hono';
import errorHandler from './error-handler.js';
import router from './routes.js';
import sessionExample from './session-example.js';
import timingExample from './timing-example.js';
import userContext from './user-context.js';
import webhookHandler from './webhook-handler.js';

/** The example service: every request a session, threads carried by a signed cookie. */
export function createApp(options: SessionsOptions = {}): Hono<SessionsEnv> {
  const app = new Hono<SessionsEnv>();
  app.use(sessions(options));
  app.route('/chat', router);
  const agents = {
    'session-example': sessionExample,
    'error-handler': errorHandler,
    webhook: webhookHandler,
    timing: timingExample,
    'user-context': userContext,
  };
  for (const [path, agent] of Object.entries(agents)) {
    app.post(`/agents/${path}`, async (c) => c.json(await agent.run(await c.req.json())));
  }
  app.get('/boom', () => {
    throw new Error('database password is hunter2');
  });
  return app;
}
