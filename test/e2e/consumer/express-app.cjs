// A user's Express app without hono installed (CommonJS):
//   node --require otel-sessions/register express-app.cjs
const express = require('express');
const { createAgent, getSessionId } = require('otel-sessions');
const { expressSessions } = require('otel-sessions/express');

const agent = createAgent('Counter', {
  handler: async (ctx, input) => {
    await ctx.thread.state.push('messages', input?.message ?? '(none)', 20);
    ctx.logger.info('counted');
    return { threadId: ctx.thread.id, messages: await ctx.thread.state.get('messages') };
  },
});

const app = express();
app.use(express.json());
app.use(expressSessions());
app.post('/chat', async (req, res) => {
  res.json({ ...(await agent.run(req.body)), sessionId: res.locals.sessionId, fromGetter: getSessionId() });
});
const server = app.listen(0, '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
