// Guide: "Session State". Only the import path is changed.
import { createAgent } from 'otel-sessions';
import { processRequest } from './support.js'; // added: the guide leaves processRequest to the user
const agent = createAgent('TimingExample', {
handler: async (ctx, input) => {
// Track timing within this request
ctx.session.state.set('startTime', Date.now());
const result = await processRequest(input);
const startTime = ctx.session.state.get('startTime');
const duration = typeof startTime === 'number' ? Date.now() - startTime : 0;
ctx.logger.child({ durationMs: duration }).info('Request completed');
return result;
},
});
export default agent; // added so that tests can run it
