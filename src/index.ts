/**
 * `otel-sessions`: what an app uses. Starting sessions (`registerSessions`, or
 * `sessionsConfiguration` for an SDK of your own), agents, the session logger, the session and
 * thread of a request and their IDs, the built-in thread stores, and the errors.
 * The processors, exporters and the thread store contract, for wiring otel-sessions into an
 * SDK by hand or writing a store, are in `otel-sessions/sdk`.
 * @module otel-sessions
 */
export { registerSessions } from './runtime/register-sessions.js';
export type { RegisterOptions, SessionsHandle } from './runtime/register-sessions.js';
export { sessionsConfiguration } from './runtime/sessions-configuration.js';
export type { SessionsConfiguration } from './runtime/sessions-configuration.js';
export type { EdgeOptions, InboundRequest } from './edge/edge-options.js';
export { createAgent, AgentInputError } from './agent/create-agent.js';
export type { Agent, AgentConfig } from './agent/create-agent.js';
export type { AgentContext } from './agent/agent-context.js';
export type { ValidatorOptions } from './agent/validator.js';
export { createLogger } from './logging/create-logger.js';
export type { CreateLoggerOptions } from './logging/create-logger.js';
export { withSession, getSessionId, getThreadId, getSession } from './session/context.js';
export type { SessionIds } from './session/context.js';
export { newSessionId, newThreadId, isSessionId, isThreadId } from './session/ids.js';
export { Session } from './session/session.js';
export type { SessionCompletedEvent } from './session/session.js';
export { sensitiveReason } from './session/sensitive-metadata.js';
export { Thread } from './thread/thread.js';
export type { ThreadDestroyedEvent } from './thread/thread.js';
export { ThreadState } from './thread/thread-state.js';
export type { ThreadStore, JsonValue } from './thread/thread-store.js';
export { MemoryThreadStore } from './thread/memory-thread-store.js';
export type { MemoryThreadStoreOptions } from './thread/memory-thread-store.js';
export { RedisThreadStore } from './thread/redis-thread-store.js';
export type { RedisThreadStoreOptions } from './thread/redis-thread-store.js';
export { SqliteThreadStore } from './thread/sqlite-thread-store.js';
export type { SqliteThreadStoreOptions } from './thread/sqlite-thread-store.js';
export { ThreadStoreUnavailableError } from './thread/store-unavailable-error.js';
export { ThreadTooLargeError } from './thread/thread-too-large-error.js';
export { ATTR_SESSION_ID, ATTR_SESSION_THREAD_ID } from './session/semconv.js';
export type { SessionsEnv, SessionVariables, Env } from './hono/env.js';
