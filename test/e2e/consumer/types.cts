// Never run: the packaging test type-checks it as a CommonJS TypeScript app (a .cts file, so
// its imports resolve through the "require" condition), written as verbatimModuleSyntax has a
// CommonJS file written.
/* eslint-disable @typescript-eslint/no-require-imports -- the CommonJS form is what is checked */
import otelSessions = require('otel-sessions');
import sdk = require('otel-sessions/sdk');
import express = require('otel-sessions/express');

const agent = otelSessions.createAgent('Chat', { handler: async (ctx) => ({ sessionId: ctx.sessionId }) });
const store: otelSessions.ThreadStore = new otelSessions.MemoryThreadStore();
const processor: sdk.SessionSpanProcessor = new sdk.SessionSpanProcessor();
export = [agent, store, processor, express.expressSessions()];
