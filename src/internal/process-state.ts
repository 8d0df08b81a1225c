/**
 * The one global slot for what otel-sessions holds once per process: an object on `globalThis`
 * under `Symbol.for('otel-sessions.process')`, shared by the ESM and CommonJS builds (an app
 * may load both: `--require otel-sessions/register` and `import 'otel-sessions'`), so that
 * both see one runtime, one handle, one HTTP edge.
 *
 * The object has one part per owner, each read and written by its owner module only:
 * - `runtime`: the process's runtime, and how to make one from the environment
 *   (`session/sessions-runtime.ts` reads it, `runtime/runtime.ts` writes it);
 * - `settings`: the environment, read once (`runtime/settings.ts`);
 * - `handle`: what `registerSessions` returned (`runtime/register-sessions.ts`);
 * - `http-edge`: the edge in force, the servers it serves, whether it stopped taking requests
 *   (`edge/node-http-edge.ts`);
 * - `spools`: the stems of the spools open in this process (`export/spool-owner.ts`).
 *
 * Symbols that only mark objects (`otel-sessions.http-edge.patched` on the patched server
 * prototypes, the session brand, context keys) are keys, not state, and are not here.
 */
const PROCESS_KEY = Symbol.for('otel-sessions.process');

/** The parts of the process's state, each named after what it holds. @internal */
export type ProcessPart = 'runtime' | 'settings' | 'handle' | 'http-edge' | 'spools';

type ProcessState = Partial<Record<ProcessPart, object>>;

/**
 * The process's part `name`, made by `init` the first time any build of otel-sessions asks
 * for it. Its owner types it: every caller for one part gives the same type. @internal
 */
export function processPart<T extends object>(name: ProcessPart, init: () => T): T {
  const holder = globalThis as { [PROCESS_KEY]?: ProcessState };
  const state = (holder[PROCESS_KEY] ??= {});
  return (state[name] ??= init()) as T;
}
