// A Fastify 5 app with nothing but `node --import otel-sessions/register fastify.mjs`.
import Fastify from 'fastify';
import { fastifySessions } from 'otel-sessions/fastify';
import { listening, port, remember, slowly } from './remember-agent.mjs';

const app = Fastify();
await app.register(fastifySessions);
app.post('/chat', async (request) => ({ ...(await remember.run(request.body)), sessionId: request.sessionId }));
app.get('/health', async () => 'ok');
app.get('/slow', async (request) => {
  await slowly();
  return `slow done ${request.sessionId}`;
});
await app.listen({ port, host: '127.0.0.1' });
listening(app.server.address().port);
