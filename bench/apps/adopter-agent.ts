/**
 * Variant (c) of bench/adopter.ts, the guide's shape: started as variant (b) is, with
 * `sessions()` on the app and the work in an agent (`createAgent`) whose handler pushes the
 * message onto thread state and logs twice with `ctx.logger`; the route calls
 * `agent.run(input)`. No input schema, so that no validator's cost is measured.
 * BENCH_AGENT_STATELESS=1 leaves thread state alone (no push, no read, so no save): the
 * breakdown's "(c) without thread state".
 */
import { Hono } from 'hono';
import { createAgent, registerSessions, type SessionsEnv } from 'otel-sessions';
import { sessions } from 'otel-sessions/hono';
import { serveApp } from './serve.js';

// The register entry has run already: this returns its handle.
const otel = registerSessions();

const stateless = process.env.BENCH_AGENT_STATELESS === '1';

const chat = createAgent('Chat', {
  handler: async (ctx, input: { message: string }) => {
    ctx.logger.info('Message received', { length: input.message.length });
    if (!stateless) await ctx.thread.state.push('messages', input.message, 20);
    const reply = `You said: ${input.message}`;
    ctx.logger.info('Reply ready', { length: reply.length });
    const messages = stateless ? [] : await ctx.thread.state.get('messages');
    return { reply, turns: Array.isArray(messages) ? messages.length : 0 };
  },
});

const app = new Hono<SessionsEnv>();
app.use(sessions());
app.post('/chat', async (c) => c.json(await chat.run(await c.req.json<{ message: string }>())));
await serveApp(app.fetch, { flush: () => otel.forceFlush() });
