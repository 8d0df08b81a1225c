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

type Emitter = EventEmitter & { [LISTENER_CONTEXT]: Context; [EMIT_BELOW]: EventEmitter['emit'] };

/** Emits in the context the emitter was bound to: one shared function, the context on the emitter. */
function emitInContext(this: Emitter, ...args: Parameters<EventEmitter['emit']>): boolean {
  return context.with(this[LISTENER_CONTEXT], this[EMIT_BELOW], this, ...args);
}

/**
 * Makes the listeners added to `emitter` from now on run in `ctx`, also when the emitter was
 * already bound to another context. The http instrumentation binds a request and its response
 * to the server span's context before any framework code runs, so body parsers and response
 * hooks (`req.on('end')`, `res.on('finish')`) would call the app back in a context that knows
 * nothing of the session. Here the listener methods that binding put on the emitter give way to
 * the prototype's again (the listeners it already wrapped keep their context), and the
 * emitter's events are emitted in `ctx`: no allocation per listener. @internal
 */
export function bindListeners(emitter: EventEmitter, ctx: Context): void {
  const target = emitter as Emitter;
  const methods = emitter as unknown as Record<string, unknown>;
  const prototype = Object.getPrototypeOf(emitter) as Record<string, unknown>;
  for (const name of LISTENER_METHODS) if (Object.hasOwn(methods, name)) methods[name] = prototype[name];
  target[LISTENER_CONTEXT] = ctx;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the emitter as `this`
  target[EMIT_BELOW] = target.emit;
  target.emit = emitInContext;
}
