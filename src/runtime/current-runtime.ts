import { readEnvSettings, type EnvSettings } from './env-settings.js';
import { resolveSettings } from './resolve-settings.js';
import { runtimeFromSettings } from './runtime-from-settings.js';
import { peekRuntime, setRuntime } from './runtime-holder.js';
import type { SessionsRuntime } from './sessions-runtime.js';

const ENV_KEY = Symbol.for('otel-sessions.env-settings');

/**
 * The environment's settings, read from `process.env` once per process (so that a bad
 * value is reported once). Only the entry points call this. @internal
 */
export function processEnvSettings(): EnvSettings {
  const holder = globalThis as { [ENV_KEY]?: EnvSettings };
  return (holder[ENV_KEY] ??= readEnvSettings(process.env));
}

/**
 * The process's runtime: the one `registerSessions` or `sessionsConfiguration` made, else
 * one made now from the environment alone (an app that uses `sessions()` or `createAgent`
 * with an SDK of its own and without `sessionsConfiguration`). @internal
 */
export function currentRuntime(): SessionsRuntime {
  const existing = peekRuntime();
  if (existing) return existing;
  const runtime = runtimeFromSettings(resolveSettings({}, processEnvSettings()));
  setRuntime(runtime);
  return runtime;
}
