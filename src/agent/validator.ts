import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { MiddlewareHandler } from 'hono';
import type { Env } from '../hono/env.js';

/**
 * Hono middleware validating the JSON body with `validate`: the valid value becomes
 * `c.req.valid('json')`; an invalid or non-JSON body gets 400 with `sessionId`. @internal
 */
export function agentValidator<Input>(
  validate: (input: unknown) => Promise<StandardSchemaV1.Result<Input>>,
): MiddlewareHandler<Env, string, { in: { json: Input }; out: { json: Input } }> {
  return async function agentValidator(c, next) {
    let body: unknown;
    try {
      body = await c.req.json();
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
  };
}
