// Never run: the packaging test type-checks it (tsc --noEmit, skipLibCheck off) against the
// declarations installed from the tarball, as a TypeScript app (ES module) using every entry.
import { Hono } from 'hono';
import * as app from 'otel-sessions';
import {
  createAgent,
  MemoryThreadStore,
  type Env,
  type SessionsConfiguration,
  type SessionsEnv,
  type ThreadStore,
} from 'otel-sessions';
import * as sdk from 'otel-sessions/sdk';
import { expressSessions, type SessionLocals } from 'otel-sessions/express';
import { fastifySessions } from 'otel-sessions/fastify';
import { sessions, type SessionsOptions, type SessionVariables } from 'otel-sessions/hono';
import { koaSessions } from 'otel-sessions/koa';
import type {} from 'otel-sessions/register';

// The sessions guide's way, with only the import path changed, and the name that does not
// shadow Hono's own Env: the same type.
const agent = createAgent('SessionExample', {
  handler: async (ctx, input: { message: string }) => {
    ctx.logger.child({ sessionId: ctx.sessionId }).info('Processing request');
    await ctx.thread.state.push('messages', input.message, 20);
    return { sessionId: ctx.sessionId, threadId: ctx.thread.id };
  },
});
const router = new Hono<Env>();
router.post('/', agent.validator(), async (c) =>
  c.json({ ...(await agent.run(c.req.valid('json'))), id: c.var.sessionId }),
);
const routes: Hono<SessionsEnv> = router;
const options: SessionsOptions = { ignorePaths: ['/health'] };
routes.use(sessions(options));
const variables: SessionVariables | undefined = undefined;
const locals: SessionLocals | undefined = undefined;
void [variables, locals, expressSessions(), fastifySessions, koaSessions()];

// What sessionsConfiguration returns: the thread store, not the internals.
declare const otel: SessionsConfiguration;
const store: ThreadStore = otel.threadStore;
// @ts-expect-error the settled settings are internal
void otel.settings;
// @ts-expect-error the delivery its shutdown drives is internal
void otel.delivery;
// @ts-expect-error the runtime is internal
void otel.runtime;
// @ts-expect-error a thread is made by otel-sessions, with arguments
void new app.Thread();
// @ts-expect-error the exporters are in otel-sessions/sdk
void app.SpoolingSpanExporter;

// otel-sessions/sdk: processors, logging, exporters and the thread store contract.
declare const spanExporter: ConstructorParameters<typeof sdk.SpoolingSpanExporter>[0];
const spooled = new sdk.SpoolingSpanExporter(spanExporter, { dir: '.otel-sessions/spool/spans', maxBytes: 1024 });
const pending: sdk.SpoolContents = spooled.pending;
const spoolOptions: sdk.SpoolOptions = { dir: 'spool' };
const journal: sdk.JournalOptions = { dir: '.otel-sessions' };
void [pending, spoolOptions, new sdk.JournalSpanExporter(journal), new sdk.JournalLogExporter()];
void [
  new sdk.SessionSpanProcessor({ convention: 'openinference' }),
  new sdk.ThreadActivitySpanProcessor({ store, flushIntervalMs: 500 }),
  new sdk.SessionLogRecordProcessor({ convention: 'langfuse' }),
  new sdk.OtelLogTransport({ spanEvents: false }),
  sdk.sessionFormat(),
];
declare const logExporter: ConstructorParameters<typeof sdk.SpoolingLogRecordExporter>[0];
void new sdk.SpoolingLogRecordExporter(logExporter, { dir: 'spool/logs' });

/** A thread store of one's own, written against the contract. */
class MapThreadStore implements sdk.ThreadStore {
  private readonly threads = new Map<string, sdk.ThreadSnapshot>();
  readonly ttlMs = sdk.DEFAULT_THREAD_TTL_MS;
  async load(threadId: string): Promise<sdk.ThreadSnapshot | undefined> {
    return this.threads.get(threadId);
  }
  async save(threadId: string, changes: sdk.ThreadChanges): Promise<void> {
    const state: Record<string, sdk.JsonValue> = changes.cleared ? {} : { ...this.threads.get(threadId)?.state };
    for (const key of changes.deleted) delete state[key];
    Object.assign(state, changes.set);
    const updates: Record<string, sdk.StateUpdate> = changes.updates ?? {};
    void updates;
    this.threads.set(threadId, { state, metadata: changes.metadata ?? {} });
  }
  async touch(): Promise<void> {}
  async destroy(threadId: string): Promise<boolean> {
    return this.threads.delete(threadId);
  }
  async close(): Promise<void> {}
}
const stores: ThreadStore[] = [new MapThreadStore(), new MemoryThreadStore({ maxThreads: 10 })];
void [stores, app.registerSessions, app.sessionsConfiguration];
