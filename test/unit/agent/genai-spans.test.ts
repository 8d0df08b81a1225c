/**
 * GenAI spans: an agent that calls the Vercel AI SDK (`ai`, with its mock language model and
 * the `@ai-sdk/otel` integrations) inside a session. Every span the AI SDK starts carries
 * `session.id`, `session.thread_id` and, with the alias on, `gen_ai.conversation.id`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { LegacyOpenTelemetry, OpenTelemetry } from '@ai-sdk/otel';
import { generateText, registerTelemetry } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { createAgent } from '../../../src/index.js';
import { SessionSpanProcessor } from '../../../src/processors/session-span-processor.js';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CBaggagePropagator());
const spans = new InMemorySpanExporter();
trace.setGlobalTracerProvider(
  new TracerProvider({
    spanProcessors: [new SessionSpanProcessor(), new SimpleSpanProcessor({ exporter: spans })],
  }),
);
// Both of the AI SDK's OpenTelemetry integrations: `gen_ai.*` spans and the legacy `ai.*` spans.
registerTelemetry(new OpenTelemetry(), new LegacyOpenTelemetry());

const model = new MockLanguageModelV4({
  doGenerate: {
    content: [{ type: 'text', text: 'Hello from the mock model' }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: 5, text: 5, reasoning: undefined },
    },
    warnings: [],
  },
});

const agent = createAgent('ChatAgent', {
  handler: async (ctx, input: { message: string }) => {
    const { text } = await generateText({ model, prompt: input.message, telemetry: { functionId: 'chat-agent' } });
    return { text, sessionId: ctx.sessionId, threadId: ctx.thread.id };
  },
});

describe('GenAI spans of the AI SDK inside a session', () => {
  it('every span the AI SDK starts carries session.id, session.thread_id and gen_ai.conversation.id', async () => {
    const result = await agent.run({ message: 'Hi' });
    assert.equal(result.text, 'Hello from the mock model');

    const finished = spans.getFinishedSpans();
    const aiSpans = finished.filter((span) => span.instrumentationScope.name !== 'otel-sessions');
    const names = aiSpans.map((span) => span.name);
    assert.ok(
      names.some((name) => name.startsWith('ai.')),
      `no legacy ai.* span among ${names.join(', ')}`,
    );
    assert.ok(aiSpans.length >= 2, `the AI SDK made too few spans: ${names.join(', ')}`);
    for (const span of aiSpans) {
      assert.equal(span.attributes['session.id'], result.sessionId, `${span.name} lacks session.id`);
      assert.equal(span.attributes['session.thread_id'], result.threadId, `${span.name} lacks session.thread_id`);
      assert.equal(span.attributes['gen_ai.conversation.id'], result.threadId, `${span.name} lacks the alias`);
    }
  });
});
