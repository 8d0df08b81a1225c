import type winston from 'winston';
import { RateLimitedWarnings } from '../internal/rate-limited-warning.js';
import { StoreOutage } from '../thread/store-outage.js';
import type { ThreadStore } from '../thread/thread-store.js';
import { RunningSessions } from './running-sessions.js';

/**
 * What the parts of otel-sessions share at run time, settled once (by `registerSessions`,
 * `sessionsConfiguration`, or on first use from the environment) and handed to the
 * middleware, agents and processors.
 */
export interface SessionsRuntime {
  /** Where threads live. */
  readonly threadStore: ThreadStore;
  /** The logger agents and routes get, and through which the runtime reports problems. */
  readonly logger: winston.Logger;
  /** Tells the operator once when the thread store goes down and once when it is back. */
  readonly storeOutage: StoreOutage;
  /** The secret that signs thread tokens, when one is configured. */
  readonly secret: string | undefined;
  /** How long a thread lives after its last activity, in ms: also the thread cookie's lifetime. */
  readonly threadTtlMs: number;
  /** The sessions running now, which a shutdown waits for. */
  readonly running: RunningSessions;
  /** Writes each kind of warning a request can trigger at most once a minute, with the count suppressed. */
  readonly warnings: RateLimitedWarnings;
}

/** The parts a runtime is made of. */
export interface SessionsRuntimeParts {
  threadStore: ThreadStore;
  logger: winston.Logger;
  secret?: string;
  threadTtlMs: number;
  /** What writes request-triggered warnings. @default one kind each at most once a minute */
  warnings?: RateLimitedWarnings;
}

/** Makes a runtime; its outage reports go to `logger`. */
export function createRuntime(parts: SessionsRuntimeParts): SessionsRuntime {
  const { logger } = parts;
  return {
    threadStore: parts.threadStore,
    logger,
    secret: parts.secret,
    threadTtlMs: parts.threadTtlMs,
    running: new RunningSessions(),
    warnings: parts.warnings ?? new RateLimitedWarnings(),
    storeOutage: new StoreOutage({
      down: (message, error) =>
        logger.error(message, { error: error instanceof Error ? error.message : String(error) }),
      back: (message) => logger.warn(message),
    }),
  };
}
