// A user's own OpenTelemetry set-up, with sessions added:  node --require ./otel.cjs app-own-sdk.cjs
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { sessionsConfiguration } = require('otel-sessions');

const sessions = sessionsConfiguration();
new NodeSDK({
  serviceName: sessions.serviceName,
  spanProcessors: sessions.spanProcessors,
  logRecordProcessors: sessions.logRecordProcessors,
  instrumentations: [getNodeAutoInstrumentations({ '@opentelemetry/instrumentation-fs': { enabled: false } })],
}).start();
