// Guide: "Linking External Logs". Only the import path is changed.
import { createAgent } from 'otel-sessions';
import { externalApi } from './support.js'; // added: the guide leaves externalApi to the user
const agent = createAgent('WebhookHandler', {
handler: async (ctx, input) => {
// Create a logger with session context for external services
const requestLogger = ctx.logger.child({
sessionId: ctx.sessionId,
threadId: ctx.thread.id,
service: 'webhook-handler',
});
requestLogger.info('Processing webhook', { eventType: input.event });
// External service call with session context
await externalApi.process({
...input,
metadata: { agentuitySessionId: ctx.sessionId },
});
return { success: true };
},
});
export default agent; // added so that tests can run it
