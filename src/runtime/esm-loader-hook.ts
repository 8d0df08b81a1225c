import { diag } from '@opentelemetry/api';
import * as nodeModule from 'node:module';

let installed = false;

/**
 * Registers OpenTelemetry's ESM loader hook, without which `node:http` and other modules
 * imported by an ES-module app are never patched and their spans silently never appear.
 * It affects modules loaded after it: hence `node --import otel-sessions/register`.
 */
export function installEsmLoaderHook(): void {
  if (installed) return;
  installed = true;
  const register = (nodeModule as { register?: (specifier: string, parentUrl: string) => void }).register;
  if (typeof register !== 'function') {
    diag.warn(
      'otel-sessions: this Node.js has no module.register(); ES-module apps are not instrumented (need Node.js 20.6 or later)',
    );
    return;
  }
  try {
    register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  } catch (error) {
    diag.warn('otel-sessions: could not register the OpenTelemetry ESM loader hook', error);
  }
}
