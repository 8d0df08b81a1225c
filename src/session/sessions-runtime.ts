import type winston from 'winston';
import type { Clock } from '../internal/clock.js';
import { processPart } from '../internal/process-state.js';
import type { RateLimitedWarnings } from '../internal/rate-limited-warning.js';
import type { StoreOutage } from '../thread/store-outage.js';
import type { ThreadStore } from '../thread/thread-store.js';
import type { Convention } from './conventions.js';
import type { RunningSessions } from './running-sessions.js';

/**
 * What sessions run with, settled once and handed to the session runner, the edge, the
 * adapters (Hono, Express, Fastify, Koa), agents and the thread activity processor. This floor
 * defines it; `src/runtime/runtime.ts` makes it (from the settings, by `registerSessions`,
 * `sessionsConfiguration`, or on first use from the environment). @internal
 */
export interface SessionsRuntime {
  /** Where threads live; it also says how long they live (`ttlMs`). */
  readonly threadStore: ThreadStore;
  /**
   * Made by `registerSessions` or `sessionsConfiguration`, whose span processors renew the
   * threads of `threadStore` (not of a store given to one middleware).
   */
  readonly configured: boolean;
  /** The logger agents and routes get, and through which the runtime reports problems. */
  readonly logger: winston.Logger;
  /** Tells the operator once when the thread store goes down and once when it is back. */
  readonly storeOutage: StoreOutage;
  /**
   * The secret that signs thread tokens, settled at the first call (a middleware's creation,
   * or the first request at the edge) by the rules of the signing secret: the configured one;
   * else, outside production, the one kept in the journal folder, with one warning.
   * @throws {Error} in production when no secret is configured.
   */
  signingSecret(): string;
  /** Largest thread in bytes, checked at each write unless a middleware sets its own. */
  readonly maxThreadBytes: number;
  /** The sessions running now, which a shutdown waits for. */
  readonly running: RunningSessions;
  /** The names the IDs are written under (root spans, agent spans). */
  readonly convention: Convention;
  /** Whether agents' input and output are recorded. */
  readonly captureContent: boolean;
  /** Where time comes from (thread token issue times). */
  readonly clock: Clock;
  /** Writes each kind of warning a request can trigger at most once a minute, with the count suppressed. */
  readonly warnings: RateLimitedWarnings;
}

/**
 * The process's runtime part (in the one process-wide slot, shared by the ESM and CommonJS
 * builds): `runtime/runtime.ts` sets `runtime` and `fromEnvironment`; this floor only reads. @internal
 */
export interface RuntimePart {
  /** The runtime in force, once one is made. */
  runtime?: SessionsRuntime;
  /** Makes the runtime of an app that configured none (installed when `runtime/runtime.ts` loads). */
  fromEnvironment?: () => SessionsRuntime;
}

/** The process's runtime part. @internal */
export function runtimePart(): RuntimePart {
  return processPart<RuntimePart>('runtime', () => ({}));
}

/** The process's runtime, if one has been made. @internal */
export function peekRuntime(): SessionsRuntime | undefined {
  return runtimePart().runtime;
}

/**
 * The process's runtime: the one `registerSessions` or `sessionsConfiguration` made, else one
 * made now from the environment alone (an app that uses `sessions()` or `createAgent` with an
 * SDK of its own and without `sessionsConfiguration`). @internal
 */
export function currentRuntime(): SessionsRuntime {
  const part = runtimePart();
  if (part.runtime !== undefined) return part.runtime;
  if (part.fromEnvironment === undefined)
    throw new Error('otel-sessions: no runtime: the otel-sessions runtime module was not loaded');
  return (part.runtime = part.fromEnvironment());
}
