// A Koa 3 app with nothing but `node --import otel-sessions/register koa.mjs`.
import Koa from 'koa';
import { koaSessions } from 'otel-sessions/koa';
import { listening, port, remember, slowly } from './remember-agent.mjs';

async function jsonBody(request) {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text === '' ? {} : JSON.parse(text);
}

const app = new Koa();
app.use(koaSessions());
app.use(async (ctx) => {
  if (ctx.method === 'POST' && ctx.path === '/chat') {
    ctx.body = { ...(await remember.run(await jsonBody(ctx.req))), sessionId: ctx.state.sessionId };
  } else if (ctx.path === '/health') {
    ctx.body = 'ok';
  } else if (ctx.path === '/slow') {
    await slowly();
    ctx.body = `slow done ${ctx.state.sessionId}`;
  } else {
    ctx.status = 404;
  }
});
const server = app.listen(port, '127.0.0.1', () => listening(server.address().port));
