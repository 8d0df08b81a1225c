// Guide: "Including Session ID in Responses". Only the import path is changed.
import { createAgent } from 'otel-sessions';
import { processRequest } from './support.js'; // added: the guide leaves processRequest to the user
const agent = createAgent('ErrorHandler', {
handler: async (ctx, input) => {
try {
const result = await processRequest(input);
return { success: true, data: result };
} catch (error) {
const message = error instanceof Error ? error.message : String(error);
ctx.logger.child({
sessionId: ctx.sessionId,
error: message,
}).error('Request failed');
return {
success: false,
error: 'Processing failed',
sessionId: ctx.sessionId, // Helpful for debugging
};
}
},
});
export default agent; // added so that tests can run it
