import { context, type Context } from '@opentelemetry/api';
import type { EventEmitter } from 'node:events';

/** The methods a context manager's `bind` replaces on an emitter to wrap each new listener. */
const LISTENER_METHODS = [
  'addListener',
  'on',
  'once',
  'prependListener',
  'prependOnceListener',
  'removeListener',
  'off',
  'removeAllListeners',
] as const;
const LISTENER_CONTEXT = Symbol('otel-sessions.listener-context');
const EMIT_BELOW = Symbol('otel-sessions.emit-below');
const ON_CLOSE = Symbol('otel-sessions.on-close');

type Emitter = EventEmitter & {
  [LISTENER_CONTEXT]: Context;
  [EMIT_BELOW]: EventEmitter['emit'];
  [ON_CLOSE]?: () => void;
};

/**
 * Emits in the context the emitter was bound to: one shared function, the context on the
 * emitter. An event nobody listens to, or one emitted in that context already, is emitted as
 * it is: entering a context makes a new AsyncLocalStorage frame.
 */
function emitInContext(this: Emitter, ...args: Parameters<EventEmitter['emit']>): boolean {
  const [event] = args;
  if (event === 'close') this[ON_CLOSE]?.();
  const ctx = this[LISTENER_CONTEXT];
  if (context.active() === ctx || this.listenerCount(event) === 0) return this[EMIT_BELOW](...args);
  return context.with(ctx, this[EMIT_BELOW], this, ...args);
}

/**
 * Makes the listeners added to `emitter` from now on run in `ctx`, also when the emitter was
 * already bound to another context. The http instrumentation binds a request and its response
 * to the server span's context before any framework code runs, so body parsers and response
 * hooks (`req.on('end')`, `res.on('finish')`) would call the app back in a context that knows
 * nothing of the session. Here the listener methods that binding put on the emitter give way to
 * the prototype's again (the listeners it already wrapped keep their context), and the
 * emitter's events are emitted in `ctx`: no allocation per listener.
 *
 * `onClose` is called when the emitter emits `close`, before its listeners, without being one:
 * a `close` listener added to each response made V8 move whole requests into the old
 * generation (see docs/performance.md), so the edge hears of a response's close this way. @internal
 */
export function bindListeners(emitter: EventEmitter, ctx: Context, onClose?: () => void): void {
  const target = emitter as Emitter;
  const methods = emitter as unknown as Record<string, unknown>;
  const prototype = Object.getPrototypeOf(emitter) as Record<string, unknown>;
  for (const name of LISTENER_METHODS) if (Object.hasOwn(methods, name)) methods[name] = prototype[name];
  target[LISTENER_CONTEXT] = ctx;
  if (onClose !== undefined) target[ON_CLOSE] = onClose;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the emitter as `this`
  target[EMIT_BELOW] = target.emit;
  target.emit = emitInContext;
}
