import { createRequire } from 'node:module';
import { diag, logs } from '@opentelemetry/api';

/** The global under which `@opentelemetry/api-logs` 0.x keeps its logger provider. */
const LEGACY_LOGS_KEY = Symbol.for('io.opentelemetry.js.api.logs');

/** What this bridge needs of `@opentelemetry/api-logs` 0.x. */
interface LegacyLogsApi {
  logs: { setGlobalLoggerProvider(provider: { getLogger: typeof logs.getLogger }): unknown };
}

/**
 * Log bridges still built on `@opentelemetry/api-logs` 0.x, such as
 * `@opentelemetry/winston-transport` 0.34 (which `@opentelemetry/instrumentation-winston`
 * adds to every winston logger), emit through that package's own global logger provider.
 * OpenTelemetry JS 3.x keeps the logs API in `@opentelemetry/api` 1.10 and sets only that
 * one, so their records go nowhere. When such a bridge is installed and nobody has set the
 * old global, this points it at the new API: their records then reach the SDK's log
 * pipeline (and `SessionLogRecordProcessor`), whenever the SDK starts. @internal
 */
export function bridgeLegacyLogsApi(): void {
  if ((globalThis as Record<symbol, unknown>)[LEGACY_LOGS_KEY] !== undefined) return;
  let legacy: LegacyLogsApi;
  try {
    const here = createRequire(import.meta.url);
    const transport = here.resolve('@opentelemetry/winston-transport');
    legacy = createRequire(transport)('@opentelemetry/api-logs') as LegacyLogsApi;
  } catch {
    return; // no bridge on the old API is installed: nothing to connect
  }
  try {
    // Resolved at each call, so loggers made before the SDK starts follow it once it does.
    legacy.logs.setGlobalLoggerProvider({
      getLogger: (name, version, options) => logs.getLogger(name, version, options),
    });
  } catch (error) {
    diag.warn('otel-sessions: could not connect @opentelemetry/api-logs 0.x to the logs API', error);
  }
}
