import { randomBytes } from 'node:crypto';
import type winston from 'winston';
import { systemClock, type Clock } from '../internal/clock.js';
import { once } from '../internal/once.js';
import { DEFAULT_MAX_THREAD_BYTES } from '../thread/json-state.js';
import { RateLimitedWarnings } from '../internal/rate-limited-warning.js';
import { StoreOutage } from '../thread/store-outage.js';
import type { ThreadStore } from '../thread/thread-store.js';
import type { Convention } from '../session/conventions.js';
import { RunningSessions } from './running-sessions.js';

/**
 * What the parts of otel-sessions share at run time, settled once (by `registerSessions`,
 * `sessionsConfiguration`, or on first use from the environment) and handed to the
 * middleware, agents and processors.
 */
export interface SessionsRuntime {
  /** Where threads live. */
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
   * The secret that signs thread tokens, settled at the first call (a middleware's creation):
   * the configured one, else one kept in the journal folder, else (a runtime made without
   * settings) a random one for this process, each with one warning.
   * @throws {Error} in production when no secret is configured.
   */
  signingSecret(): string;
  /** How long a thread lives after its last activity, in ms: also the thread cookie's lifetime. */
  readonly threadTtlMs: number;
  /** Largest thread in bytes, checked at each write unless a middleware sets its own. */
  readonly maxThreadBytes: number;
  /** The sessions running now, which a shutdown waits for. */
  readonly running: RunningSessions;
  /** The names the IDs are written under (root spans, agent spans). */
  readonly convention: Convention;
  /** Whether agents' input and output are recorded. */
  readonly captureContent: boolean;
  /** Where time comes from (thread token issue times). @internal */
  readonly clock: Clock;
  /** Writes each kind of warning a request can trigger at most once a minute, with the count suppressed. */
  readonly warnings: RateLimitedWarnings;
}

/** The parts a runtime is made of. */
export interface SessionsRuntimeParts {
  threadStore: ThreadStore;
  /** Made by `registerSessions` or `sessionsConfiguration`. @default false */
  configured?: boolean;
  /** The logger, or how to make it on first use (after an SDK has started and instrumented winston). */
  logger: winston.Logger | (() => winston.Logger);
  /** The secret, or how to settle it on first use. @default a random per-process secret, with a warning */
  secret?: string | (() => string);
  threadTtlMs: number;
  /** @default 1048576 (1 MiB) */
  maxThreadBytes?: number;
  /** @default 'otel' */
  convention?: Convention;
  /** @default false */
  captureContent?: boolean;
  /** @default Date.now */
  clock?: Clock;
  /** What writes request-triggered warnings. @default one kind each at most once a minute */
  warnings?: RateLimitedWarnings;
}

/** Makes a runtime; its outage reports go to `logger`, which is made on first use when given as a function. */
export function createRuntime(parts: SessionsRuntimeParts): SessionsRuntime {
  const { logger: given } = parts;
  const logger = typeof given === 'function' ? once(given) : (): winston.Logger => given;
  return {
    threadStore: parts.threadStore,
    configured: parts.configured ?? false,
    get logger() {
      return logger();
    },
    signingSecret: once(() => {
      const { secret } = parts;
      if (typeof secret === 'string') return secret;
      if (secret) return secret();
      logger().warn(
        'OTEL_SESSIONS_SECRET is not set: thread cookies are signed with a random per-process secret, so threads do not survive a restart or span several processes',
      );
      return randomBytes(32).toString('base64url');
    }),
    threadTtlMs: parts.threadTtlMs,
    maxThreadBytes: parts.maxThreadBytes ?? DEFAULT_MAX_THREAD_BYTES,
    running: new RunningSessions(),
    convention: parts.convention ?? 'otel',
    captureContent: parts.captureContent ?? false,
    clock: parts.clock ?? systemClock,
    warnings: parts.warnings ?? new RateLimitedWarnings(),
    storeOutage: new StoreOutage(
      {
        down: (message, error) =>
          logger().error(message, { error: error instanceof Error ? error.message : String(error) }),
        back: (message) => logger().warn(message),
      },
      () => (parts.threadStore as { available?: boolean }).available,
    ),
  };
}
