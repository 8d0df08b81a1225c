// The agent the guide's route imports as '@agent/my-agent/agent', with an input schema.
import { z } from 'zod';
import { createAgent } from 'otel-sessions';

const agent = createAgent('MyAgent', {
  schema: { input: z.object({ message: z.string().min(1), turn: z.number().int().optional() }) },
  handler: async (ctx, input) => {
    await ctx.thread.state.push('messages', input.message, 20);
    const messages = await ctx.thread.state.get('messages');
    ctx.logger.info('Message received', { turn: input.turn });
    return { reply: `You said: ${input.message}`, turns: Array.isArray(messages) ? messages.length : 0 };
  },
});
export default agent;
