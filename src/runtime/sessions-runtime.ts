import type winston from 'winston';
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
}

/** The parts a runtime is made of. */
export interface SessionsRuntimeParts {
  threadStore: ThreadStore;
  /** The logger, or how to make it on first use (after an SDK has started and instrumented winston). */
  logger: winston.Logger | (() => winston.Logger);
  secret?: string;
  threadTtlMs: number;
}

/** Makes a runtime; its outage reports go to `logger`, which is made on first use when given as a function. */
export function createRuntime(parts: SessionsRuntimeParts): SessionsRuntime {
  const { logger: given } = parts;
  let made = typeof given === 'function' ? undefined : given;
  const logger = (): winston.Logger => (made ??= (given as () => winston.Logger)());
  return {
    threadStore: parts.threadStore,
    get logger() {
      return logger();
    },
    secret: parts.secret,
    threadTtlMs: parts.threadTtlMs,
    running: new RunningSessions(),
    storeOutage: new StoreOutage({
      down: (message, error) =>
        logger().error(message, { error: error instanceof Error ? error.message : String(error) }),
      back: (message) => logger().warn(message),
    }),
  };
}
