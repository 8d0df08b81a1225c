import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Context, MiddlewareHandler } from 'hono';
import type { SessionsEnv } from '../hono/env.js';
import { withSuppressed } from '../internal/rate-limited-warning.js';
import { currentRuntime } from '../session/sessions-runtime.js';
import { jsonDepthExceeds } from './json-depth.js';

/** The largest request body `agent.validator()` reads, in bytes. @default 1048576 (1 MiB) */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** How deeply a request body's JSON may nest (objects and arrays). */
export const MAX_JSON_DEPTH = 64;

/** Options of `agent.validator()`. */
export interface ValidatorOptions {
  /**
   * The largest request body read, in bytes: a larger one is answered 413 without being
   * read to its end (a declared `Content-Length` is refused before reading; a streamed
   * body is counted as it arrives and dropped once past the limit).
   * @default 1048576 (1 MiB), or the agent's `maxBodyBytes`
   */
  maxBodyBytes?: number;
}

/**
 * Hono middleware validating the JSON body with `validate`: the valid value becomes
 * `c.req.valid('json')`; a body over `maxBodyBytes` gets 413, a non-JSON body, one nested
 * deeper than 64 levels, or an invalid one gets 400, each with `sessionId`. @internal
 */
export function agentValidator<Input>(
  validate: (input: unknown) => Promise<StandardSchemaV1.Result<Input>>,
  { maxBodyBytes = DEFAULT_MAX_BODY_BYTES }: ValidatorOptions = {},
): MiddlewareHandler<SessionsEnv, string, { in: { json: Input }; out: { json: Input } }> {
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0)
    throw new RangeError(`validator: maxBodyBytes must be a positive whole number, got ${String(maxBodyBytes)}`);
  // Loaded here, not at the top: the main entry must load without hono, an optional peer.
  const limit = import('hono/body-limit').then(({ bodyLimit }) =>
    bodyLimit({ maxSize: maxBodyBytes, onError: (c) => tooLarge(c as Context<SessionsEnv>, maxBodyBytes) }),
  );
  // Reported when the first request needs it, not as an unhandled rejection.
  limit.catch(() => undefined);

  async function validated(c: Context<SessionsEnv>, next: () => Promise<void>): Promise<Response | undefined> {
    let body: unknown;
    try {
      const text = await c.req.text();
      if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) return tooDeep(c);
      body = JSON.parse(text);
    } catch {
      return c.json(
        { success: false, error: 'Request body must be JSON', issues: [], sessionId: c.var.sessionId },
        400,
      );
    }
    const result = await validate(body);
    if (result.issues) {
      const issues = result.issues.map((issue) => ({
        message: issue.message,
        path: issue.path?.map((part) => (typeof part === 'object' ? part.key : part)) ?? [],
      }));
      return c.json({ success: false, error: 'Invalid input', issues, sessionId: c.var.sessionId }, 400);
    }
    c.req.addValidatedData('json', result.value as object);
    await next();
    return undefined;
  }

  return async function agentValidator(c, next) {
    let answer: Response | undefined;
    const limited = await (
      await limit
    )(c, async () => {
      answer = await validated(c, next);
    });
    return limited ?? answer;
  };
}

function tooLarge(c: Context<SessionsEnv>, maxBodyBytes: number): Response {
  const runtime = currentRuntime();
  runtime.warnings.warn('request body too large', (suppressed) =>
    runtime.logger.warn(
      `A request body over ${maxBodyBytes} bytes was refused (413)`,
      withSuppressed({ 'session.id': c.var.sessionId, maxBodyBytes }, suppressed),
    ),
  );
  return c.json({ success: false, error: 'Request body too large', sessionId: c.var.sessionId }, 413);
}

function tooDeep(c: Context<SessionsEnv>): Response {
  const runtime = currentRuntime();
  runtime.warnings.warn('request body nested too deeply', (suppressed) =>
    runtime.logger.warn(
      `A request body nested deeper than ${MAX_JSON_DEPTH} levels was refused (400)`,
      withSuppressed({ 'session.id': c.var.sessionId }, suppressed),
    ),
  );
  return c.json(
    {
      success: false,
      error: `Request body is nested deeper than ${MAX_JSON_DEPTH} levels`,
      issues: [],
      sessionId: c.var.sessionId,
    },
    400,
  );
}
