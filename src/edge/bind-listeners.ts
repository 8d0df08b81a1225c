import { context, type Context } from '@opentelemetry/api';
import type { EventEmitter } from 'node:events';

const ADD_METHODS = ['addListener', 'on', 'once', 'prependListener', 'prependOnceListener'] as const;
const REMOVE_METHODS = ['removeListener', 'off'] as const;

type Listener = (...args: unknown[]) => unknown;
type ListenerMethod = (this: EventEmitter, event: string | symbol, listener: Listener) => EventEmitter;

/** Set while a patched method runs the one below it: `once` calls `on`, which must not bind again. */
let binding = false;

/**
 * Makes the listeners added to `emitter` from now on run in `ctx`, also when the emitter was
 * already bound to another context. The http instrumentation binds a request and its response
 * to the server span's context before any framework code runs; body parsers and response
 * hooks (`req.on('end')`, `res.on('finish')`) then call the app back in that context, which
 * knows nothing of the session. This layer runs inside that one, so `ctx` wins; removing a
 * listener removes what was added for it. @internal
 */
export function bindListeners(emitter: EventEmitter, ctx: Context): void {
  const bound = new WeakMap<Listener, Listener>();
  const target = emitter as unknown as Record<string, ListenerMethod>;
  for (const name of ADD_METHODS) {
    const below = target[name];
    if (typeof below !== 'function') continue;
    target[name] = function addBound(event, listener) {
      if (binding || typeof listener !== 'function') return below.call(this, event, listener);
      let wrapped = bound.get(listener);
      if (wrapped === undefined) {
        wrapped = context.bind(ctx, listener);
        bound.set(listener, wrapped);
      }
      binding = true;
      try {
        return below.call(this, event, wrapped);
      } finally {
        binding = false;
      }
    };
  }
  for (const name of REMOVE_METHODS) {
    const below = target[name];
    if (typeof below !== 'function') continue;
    target[name] = function removeBound(event, listener) {
      return below.call(this, event, bound.get(listener) ?? listener);
    };
  }
}
