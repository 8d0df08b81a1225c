// Guide: "Metadata". Only the import path is changed.
import { createAgent } from 'otel-sessions';
const agent = createAgent('UserContext', {
handler: async (ctx, input) => {
ctx.session.metadata.requestType = input.requestType;
const threadMetadata = {
...(await ctx.thread.getMetadata()), // keep existing keys
userId: input.userId,
department: 'sales',
plan: input.plan,
};
await ctx.thread.setMetadata(threadMetadata);
ctx.logger.child({
threadId: ctx.thread.id,
sessionId: ctx.sessionId,
userId: threadMetadata.userId,
requestType: input.requestType,
}).info('Request context');
return { success: true };
},
});
export default agent;
