// The agent every framework app of frameworks.test.ts runs: it remembers each turn's message in
// thread state, logs, and calls a downstream service (a client span), as the guide's agents do.
import { createAgent } from 'otel-sessions';

export const remember = createAgent('Remember', {
  handler: async (ctx, input) => {
    // The guide's way to name the user: thread metadata's userId.
    if (input?.userId) await ctx.thread.setMetadata({ ...(await ctx.thread.getMetadata()), userId: input.userId });
    await ctx.thread.state.push('messages', input?.message ?? '(none)', 20);
    const messages = await ctx.thread.state.get('messages');
    ctx.logger.child({ sessionId: ctx.sessionId }).info('remembered', { count: messages.length });
    await (await fetch(process.env.DOWNSTREAM_URL)).text();
    return { agentSessionId: ctx.sessionId, threadId: ctx.thread.id, messages };
  },
});

/** Answers after `ms`: an in-flight request for the SIGTERM test. */
export const slowly = (ms = 1500) => new Promise((resolve) => setTimeout(resolve, ms));

export const port = Number(process.env.PORT ?? 0);
export const listening = (actual) => process.stdout.write(`listening on ${actual}\n`);
