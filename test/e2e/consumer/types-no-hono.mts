// Never run: the packaging test type-checks it in the app without hono (an optional peer), as
// a TypeScript app using every entry but otel-sessions/hono.
import { createAgent, getSessionId, registerSessions, type SessionsHandle, type ThreadStore } from 'otel-sessions';
import { SessionSpanProcessor, type ThreadSnapshot } from 'otel-sessions/sdk';
import { expressSessions, type SessionLocals } from 'otel-sessions/express';
import { fastifySessions } from 'otel-sessions/fastify';
import { koaSessions } from 'otel-sessions/koa';

const agent = createAgent('Chat', {
  handler: async (ctx, input: { message: string }) => {
    await ctx.thread.state.push('messages', input.message, 20);
    return { sessionId: ctx.sessionId, fromGetter: getSessionId() };
  },
});
declare const handle: SessionsHandle;
const store: ThreadStore = handle.threadStore;
const snapshot: Promise<ThreadSnapshot | undefined> = store.load('thrd_AAAAAAAAAAAAAAAAAAAAAAAA');
const locals: SessionLocals | undefined = undefined;
void [agent.run({ message: 'hi' }), snapshot, locals, registerSessions, new SessionSpanProcessor()];
void [expressSessions(), fastifySessions, koaSessions()];
