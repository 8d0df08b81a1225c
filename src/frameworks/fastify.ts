import { getSession } from '../session/context.js';
import { sessionLocals, type SessionLocals } from './session-locals.js';

/** The part of a Fastify instance the plugin uses. */
interface FastifyLike {
  decorateRequest(name: string, value: null): unknown;
  addHook(name: 'onRequest', hook: (request: object, reply: unknown, done: () => void) => void): unknown;
}

const LOCAL_NAMES: ReadonlyArray<keyof SessionLocals> = ['sessionId', 'threadId', 'session', 'thread', 'logger'];

/**
 * Fastify plugin that decorates every request with its session: `request.sessionId`,
 * `request.threadId`, `request.thread`, `request.otelSession` and `request.sessionLogger`
 * (`request.session` and `request.log` stay free for `@fastify/session` and Fastify's own
 * logger). Registered at the root, it applies to every route (it is not encapsulated). The session itself comes from the HTTP edge
 * (`--import otel-sessions/register`); without one, the fields stay `null`.
 * @example
 * await app.register(fastifySessions);
 * app.post('/chat', async (request) => ({ sessionId: request.sessionId }));
 */
export function fastifySessions(fastify: FastifyLike, _options: unknown, done: () => void): void {
  for (const name of LOCAL_NAMES) fastify.decorateRequest(fieldOf(name), null);
  fastify.addHook('onRequest', (request, _reply, next) => {
    const session = getSession();
    if (session !== undefined) {
      const locals = sessionLocals(session);
      const target = request as Record<string, unknown>;
      for (const name of LOCAL_NAMES) target[fieldOf(name)] = locals[name];
    }
    next();
  });
  done();
}

/** The request field of each local: clear of Fastify's `log` and `@fastify/session`'s `session`. */
function fieldOf(name: keyof SessionLocals): string {
  if (name === 'logger') return 'sessionLogger';
  return name === 'session' ? 'otelSession' : name;
}

// As fastify-plugin marks a plugin: not encapsulated, so its hook reaches every route.
Object.assign(fastifySessions, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'otel-sessions',
});
