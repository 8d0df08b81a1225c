/**
 * The runtime exports of each entry of the package, by its subpath in package.json "exports",
 * sorted: what an app or an integrator may rely on. test/unit/public-api.test.ts checks the
 * sources against it, and test/e2e/packaging.test.ts the packed tarball (ESM and CommonJS), so
 * that an export added or dropped by accident fails both. Types are not listed: they have no
 * runtime name (the packaging test type-checks a consumer of every entry instead).
 */
export const PUBLIC_EXPORTS = {
  /** What an app uses. */
  '.': [
    'ATTR_SESSION_ID',
    'ATTR_SESSION_THREAD_ID',
    'AgentInputError',
    'MemoryThreadStore',
    'RedisThreadStore',
    'Session',
    'SqliteThreadStore',
    'Thread',
    'ThreadState',
    'ThreadStoreUnavailableError',
    'ThreadTooLargeError',
    'createAgent',
    'createLogger',
    'getSession',
    'getSessionId',
    'getThreadId',
    'isSessionId',
    'isThreadId',
    'newSessionId',
    'newThreadId',
    'registerSessions',
    'sensitiveReason',
    'sessionsConfiguration',
    'withSession',
  ],
  /** What an SDK integrator or the author of a thread store uses. */
  './sdk': [
    'DEFAULT_THREAD_TTL_MS',
    'JournalLogExporter',
    'JournalSpanExporter',
    'OtelLogTransport',
    'SessionLogRecordProcessor',
    'SessionSpanProcessor',
    'SpoolingLogRecordExporter',
    'SpoolingSpanExporter',
    'ThreadActivitySpanProcessor',
    'sessionFormat',
  ],
  './hono': ['sessions'],
  './express': ['expressSessions'],
  './fastify': ['fastifySessions'],
  './koa': ['koaSessions'],
  /** Imported for its effect (registerSessions on the main thread): nothing to name. */
  './register': [],
} as const satisfies Record<string, readonly string[]>;

/** A subpath of the package's "exports" that is an entry (not `./package.json`). */
export type EntrySubpath = keyof typeof PUBLIC_EXPORTS;

/** The source file of each entry. */
export const ENTRY_SOURCES: Record<EntrySubpath, string> = {
  '.': 'src/index.ts',
  './sdk': 'src/sdk.ts',
  './hono': 'src/hono.ts',
  './express': 'src/express.ts',
  './fastify': 'src/fastify.ts',
  './koa': 'src/koa.ts',
  './register': 'src/register-entry.ts',
};
