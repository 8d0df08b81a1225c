// Guide: "Accessing Session ID" (routes). Only the import paths are changed.
import { Hono } from 'hono';
import type { Env } from 'otel-sessions';
import myAgent from './my-agent.js';
const router = new Hono<Env>();
router.post('/', myAgent.validator(), async (c) => {
const input = c.req.valid('json');
// In routes
c.var.logger.child({ sessionId: c.var.sessionId }).info('Route called');
const result = await myAgent.run(input);
return c.json({ ...result, sessionId: c.var.sessionId });
});
export default router;
