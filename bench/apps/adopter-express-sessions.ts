/**
 * The Express pair's otel-sessions side in bench/adopter.ts: the route of
 * adopter-express-bare.ts under `node --import otel-sessions/register` (the HTTP edge makes
 * each request a session), `expressSessions()` on the app, the route logging with
 * `res.locals.logger`.
 */
import express from 'express';
import { registerSessions } from 'otel-sessions';
import { expressSessions, type SessionLocals } from 'otel-sessions/express';
import { serveListener } from './serve.js';

// The register entry has run already: this returns its handle.
const otel = registerSessions();

const app = express();
app.use(express.json());
app.use(expressSessions());
app.post('/chat', (req, res) => {
  const { logger } = res.locals as SessionLocals;
  const { message } = req.body as { message: string };
  logger.info('Message received', { length: message.length });
  const reply = `You said: ${message}`;
  logger.info('Reply ready', { length: reply.length });
  res.json({ reply });
});
await serveListener(app, { flush: () => otel.forceFlush() });
