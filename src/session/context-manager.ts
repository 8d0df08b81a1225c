import { context, createContextKey, diag, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

const PROBE = createContextKey('otel-sessions.probe');
let checked = false;

/**
 * Makes sure a context manager that follows async work is installed. Sessions live in the
 * context, so with OpenTelemetry's no-op context manager (no SDK registered yet) every
 * `await` would lose them. Checked once, at the first session; an AsyncLocalStorage
 * context manager is installed if none is.
 */
export function ensureContextManager(): void {
  if (checked) return;
  checked = true;
  const follows = context.with(ROOT_CONTEXT.setValue(PROBE, true), () => context.active().getValue(PROBE) === true);
  if (follows) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  diag.debug('otel-sessions: no context manager was registered; installed an AsyncLocalStorage one');
}
