// An Express 5 app with nothing but `node --import otel-sessions/register express.mjs`.
import express from 'express';
import { expressSessions } from 'otel-sessions/express';
import { listening, port, remember, slowly } from './remember-agent.mjs';

const app = express();
app.use(express.json());
app.use(expressSessions());
app.post('/chat', async (req, res) => {
  res.json({ ...(await remember.run(req.body)), sessionId: res.locals.sessionId });
});
app.get('/health', (_req, res) => res.send('ok'));
app.get('/slow', async (_req, res) => {
  await slowly();
  res.send(`slow done ${res.locals.sessionId}`);
});
const server = app.listen(port, '127.0.0.1', () => listening(server.address().port));
