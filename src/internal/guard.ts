import { diag } from '@opentelemetry/api';

/**
 * Runs `fn`, reporting anything it throws to OTel `diag` instead of throwing: telemetry
 * must never break the user's code. Returns `fallback` when `fn` threw.
 */
export function guard<T>(what: string, fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (error) {
    diag.error(`otel-sessions: ${what} failed`, error);
    return fallback;
  }
}
