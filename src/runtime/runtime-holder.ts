import type { SessionsRuntime } from './sessions-runtime.js';

// Process-wide, shared by the ESM and CommonJS builds through a global symbol: `sessions()`
// and `createAgent()` are called without arguments, so they find the runtime here.
const RUNTIME_KEY = Symbol.for('otel-sessions.runtime');

type Holder = { [RUNTIME_KEY]?: SessionsRuntime };

/** The process's runtime, if one has been set. */
export function peekRuntime(): SessionsRuntime | undefined {
  return (globalThis as Holder)[RUNTIME_KEY];
}

/** Makes `runtime` the process's runtime. */
export function setRuntime(runtime: SessionsRuntime): void {
  (globalThis as Holder)[RUNTIME_KEY] = runtime;
}
