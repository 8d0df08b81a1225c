// Guide: "Accessing Session ID" (agents). Only the import path is changed.
import { createAgent } from 'otel-sessions';
const agent = createAgent('SessionExample', {
handler: async (ctx, input) => {
// In agents
ctx.logger.child({ sessionId: ctx.sessionId }).info('Processing request');
// Thread ID for conversation tracking
ctx.logger.child({ threadId: ctx.thread.id }).info('Thread context');
return { sessionId: ctx.sessionId };
},
});
export default agent; // added so that tests can run it
