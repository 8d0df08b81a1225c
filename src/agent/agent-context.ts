import type winston from 'winston';
import type { Session } from '../session/session.js';
import type { Thread } from '../thread/thread.js';

/** What an agent's handler gets as `ctx`. */
export interface AgentContext {
  /** The agent's name. */
  readonly agentName: string;
  /** The current session ID (`sess_…`): include it in logs and error responses. */
  readonly sessionId: string;
  /** The current session: `id`, request-scoped `state`, filterable `metadata`. */
  readonly session: Session;
  /** The conversation: `id`, persistent `state`, `getMetadata()` / `setMetadata()`, `destroy()`. */
  readonly thread: Thread;
  /** A winston logger whose records carry the session and thread IDs. */
  readonly logger: winston.Logger;
  /** Keeps work going after the response; it still runs inside the session. */
  waitUntil(work: Promise<unknown> | (() => Promise<unknown>)): void;
}
