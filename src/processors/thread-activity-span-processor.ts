import { context, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { getSessionScope, type SessionScope } from '../session/context.js';
import { Session } from '../session/session.js';
import { peekRuntime } from '../session/sessions-runtime.js';
import { ATTR_SESSION_THREAD_ID } from '../session/semconv.js';
import { StoreOutage } from '../thread/store-outage.js';
import type { ThreadStore } from '../thread/thread-store.js';

/** Options of {@link ThreadActivitySpanProcessor}. */
export interface ThreadActivitySpanProcessorOptions {
  /** The store whose threads are kept alive. @default the runtime's (configured by `registerSessions`) */
  store?: ThreadStore;
  /**
   * How long activity is gathered before the store hears of it, in ms: the store gets one
   * `touch` call per interval for all threads active in it, never one per span.
   * @default 1000
   */
  flushIntervalMs?: number;
  /** Reports a store outage once per outage. @default the runtime's, else one reporting to `diag` @internal */
  outage?: StoreOutage;
}

/**
 * Keeps every thread alive while anything happens in it: each span that starts or ends in
 * a thread marks it active, so a thread expires only after its LAST activity (background
 * work included). Marks are gathered in a set and sent to the store in one batch per
 * interval; a span costs one set insertion. A thread the store does not hold (new, and
 * nothing saved yet: most threads of clients that never send their token back) has no expiry
 * to renew, and is left out.
 */
export class ThreadActivitySpanProcessor implements SpanProcessor {
  private readonly store: ThreadStore | undefined;
  private readonly flushIntervalMs: number;
  private readonly outage: StoreOutage | undefined;
  private ownOutage: StoreOutage | undefined;
  private pending = new Set<string>();
  // Threads whose spans started while the store held nothing of them, since the last flush.
  private absent = new Set<string>();
  private lastMarked: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(options: ThreadActivitySpanProcessorOptions = {}) {
    this.store = options.store;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.outage = options.outage;
  }

  /** Marks the thread of the session in `parentContext`, if any, as active. */
  onStart(_span: Span, parentContext: Context): void {
    const scope = getSessionScope(parentContext);
    if (scope === undefined) return;
    if (!mayBeStored(scope)) {
      this.absent.add(scope.threadId);
      this.flushLater(); // which forgets them
      return;
    }
    if (this.absent.size > 0) this.absent.delete(scope.threadId); // saved since, or loaded by another session
    this.mark(scope.threadId);
  }

  /**
   * Marks the thread named by the span's `session.thread_id` attribute, if any, as active,
   * unless the store held nothing of it when one of its spans started since the last flush
   * (when the session saved it since, the save renewed it).
   */
  onEnd(span: ReadableSpan): void {
    const threadId = span.attributes[ATTR_SESSION_THREAD_ID];
    if (typeof threadId === 'string' && !this.absent.has(threadId)) this.mark(threadId);
  }

  /** Sends the activity gathered so far to the store now. */
  forceFlush(): Promise<void> {
    this.flush();
    return this.inFlight;
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
  }

  private mark(threadId: string): void {
    if (threadId === this.lastMarked) return; // most spans in a row share a thread
    this.lastMarked = threadId;
    this.pending.add(threadId);
    this.flushLater();
  }

  private flushLater(): void {
    if (this.timer !== undefined) return;
    // Started outside the session of the span that marked first: the flush (and what the
    // store or an outage report logs during it) is the process's work, not that session's.
    this.timer = context.with(ROOT_CONTEXT, () => setTimeout(() => this.flush(), this.flushIntervalMs));
    this.timer.unref();
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.absent.size > 0) this.absent = new Set();
    if (this.pending.size === 0) return;
    const threadIds = [...this.pending];
    this.pending = new Set();
    this.lastMarked = undefined;
    const runtime = peekRuntime();
    const store = this.store ?? runtime?.threadStore;
    if (store === undefined) return; // no store anywhere yet: no thread can be alive in one
    // A store outage is reported once for the whole runtime, not once per flush.
    const outage = this.outage ?? runtime?.storeOutage ?? (this.ownOutage ??= new StoreOutage());
    this.inFlight = this.inFlight.then(() =>
      outage.attempt('mark thread activity', 'write', () => store.touch(threadIds), undefined),
    );
  }
}

/** Whether the store may hold the scope's thread: only a session's own thread object can tell it does not. */
function mayBeStored(scope: SessionScope): boolean {
  const { owner } = scope;
  return !(owner instanceof Session) || owner.thread.mayBeStored;
}
