import { context, SpanKind, trace, type Span } from '@opentelemetry/api';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { MiddlewareHandler } from 'hono';
import type { SessionsEnv } from '../hono/env.js';
import { currentRuntime } from '../session/sessions-runtime.js';
import { guard } from '../internal/guard.js';
import { getSessionScope } from '../session/context.js';
import { contentAttributes, roleAttributes, userAttributes, type Convention } from '../session/conventions.js';
import { sensitiveReason } from '../session/sensitive-metadata.js';
import { Session } from '../session/session.js';
import { recordFailure, runSession } from '../session/session-runner.js';
import type { AgentContext } from './agent-context.js';
import { agentValidator, type ValidatorOptions } from './validator.js';

const tracer = trace.getTracer('otel-sessions');

/** How an agent is made. */
export interface AgentConfig<Input, Output> {
  /** The agent's work. `input` has been validated by `schema.input` when there is one. */
  handler: (ctx: AgentContext, input: Input) => Output | Promise<Output>;
  /** Standard Schema validators (zod, valibot, arktype, …) for the input and the output. */
  schema?: {
    /** Checks the input before `handler` runs; a rejection throws {@link AgentInputError}. */
    input?: StandardSchemaV1<unknown, Input>;
    /** Checks what `handler` returns; a rejection fails the run. */
    output?: StandardSchemaV1<unknown, Output>;
  };
  /** What the agent does, for people reading traces. */
  description?: string;
  /**
   * The largest request body `validator()` reads, in bytes (a larger one gets 413).
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
}

/** An agent: a named handler that runs in a session, as its own `agent.run` span. */
export interface Agent<Input, Output> {
  /** The name given to `createAgent`, recorded as `agent.name` on the agent's spans. */
  readonly name: string;
  /**
   * Runs the agent. Inside a route or another agent it joins the current session; called
   * anywhere else (a script, a job) it opens a session and a thread of its own.
   * @throws {AgentInputError} when `schema.input` rejects the input.
   */
  run(input: Input): Promise<Output>;
  /**
   * Hono middleware validating the JSON body against `schema.input`: the valid value is
   * `c.req.valid('json')`; an invalid or non-JSON body, or one nested deeper than 64
   * levels, gets 400, and a body over `maxBodyBytes` 413, each with `sessionId`.
   * @example
   * app.post('/upload', agent.validator({ maxBodyBytes: 8 * 1024 * 1024 }), handler);
   */
  validator(options?: ValidatorOptions): MiddlewareHandler<
    SessionsEnv,
    string,
    {
      /** The request's input, as Hono types it. */
      in: {
        /** The JSON body. */
        json: Input;
      };
      /** What `c.req.valid()` returns. */
      out: {
        /** The validated JSON body: `c.req.valid('json')`. */
        json: Input;
      };
    }
  >;
}

/** Thrown by `agent.run` when the input fails the agent's schema. */
export class AgentInputError extends Error {
  /** Always `'AgentInputError'`. */
  override readonly name = 'AgentInputError';
  constructor(
    /** The agent whose schema rejected the input. */
    readonly agentName: string,
    /** The schema's issues, as its Standard Schema validator reported them. */
    readonly issues: readonly StandardSchemaV1.Issue[],
  ) {
    super(`invalid input for agent ${agentName}: ${issues.map((issue) => issue.message).join('; ')}`);
  }
}

/**
 * Makes an agent.
 *
 * @example
 * const agent = createAgent('SessionExample', {
 *   handler: async (ctx, input) => {
 *     ctx.logger.info('Processing request');
 *     return { sessionId: ctx.sessionId };
 *   },
 * });
 */
// `any` by default, as the guide's handlers take untyped input when no schema is given.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function createAgent<Input = any, Output = any>(
  name: string,
  config: AgentConfig<Input, Output>,
): Agent<Input, Output> {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError('createAgent: name must be a non-empty string');
  if (typeof config?.handler !== 'function') throw new TypeError(`createAgent(${name}): handler must be a function`);

  const validateInput = async (input: unknown): Promise<StandardSchemaV1.Result<Input>> =>
    config.schema?.input ? config.schema.input['~standard'].validate(input) : { value: input as Input };

  async function runInSession(session: Session, input: Input): Promise<Output> {
    const validated = await validateInput(input);
    if (validated.issues) throw new AgentInputError(name, validated.issues);
    const runtime = currentRuntime();
    const attributes = { 'agent.name': name, ...roleAttributes(runtime.convention, 'agent') };
    return tracer.startActiveSpan(`agent.run ${name}`, { attributes }, async (span) => {
      try {
        if (runtime.captureContent) recordContent(runtime.convention, 'input', validated.value, span, session);
        const ctx = agentContext(name, session);
        let output: Output = await config.handler(ctx, validated.value);
        if (config.schema?.output) {
          const checked = await config.schema.output['~standard'].validate(output);
          if (checked.issues)
            throw new Error(
              `agent ${name} returned output its schema rejects: ${checked.issues.map((issue) => issue.message).join('; ')}`,
            );
          output = checked.value;
        }
        if (runtime.captureContent) recordContent(runtime.convention, 'output', output, span, session);
        // A user named during the run (thread metadata, setUserId) was not known when the span started.
        const { userId } = session;
        if (userId !== undefined) span.setAttributes(userAttributes(runtime.convention, userId));
        return output;
      } catch (error) {
        recordFailure(span, error);
        throw error;
      } finally {
        span.end();
      }
    });
  }

  /**
   * Runs outside any session object: in the session `withSession` set, when there is one
   * (its IDs, its thread's state loaded and saved), else in a session and thread of its own.
   */
  function runStandalone(input: Input, ids: { sessionId: string; threadId: string } | undefined): Promise<Output> {
    const parentContext = context.active();
    return runSession({
      runtime: currentRuntime(),
      parentContext,
      trusted: ids,
      refuseSensitiveMetadata: true,
      // Inside withSession, the span around the call (a server span, the app's own) holds the metadata.
      adoptSpan: ids === undefined ? undefined : trace.getSpan(parentContext),
      rootSpan: { name: `session ${name}`, options: { kind: SpanKind.INTERNAL } },
      work: (session) => runInSession(session, input),
    });
  }

  return {
    name,
    run(input: Input): Promise<Output> {
      const scope = getSessionScope();
      const owner = scope?.owner;
      return owner instanceof Session ? runInSession(owner, input) : runStandalone(input, scope);
    },
    validator(options) {
      return agentValidator(validateInput, { maxBodyBytes: options?.maxBodyBytes ?? config.maxBodyBytes });
    },
  };
}

/**
 * Records an agent's input or output (content capture is on) on its span and the session's
 * root span; a value that looks like a secret or personal data is left out, with the reason.
 */
function recordContent(
  convention: Convention,
  direction: 'input' | 'output',
  value: unknown,
  span: Span,
  session: Session,
): void {
  guard(
    'recording agent content',
    () => {
      const text = contentText(value);
      const reason = sensitiveReason(direction, text);
      const recorded = reason === undefined ? text : `[not recorded: it looks sensitive (${reason})]`;
      span.setAttributes(contentAttributes(convention, direction, recorded, false));
      session.rootSpan?.setAttributes(contentAttributes(convention, direction, recorded, true));
    },
    undefined,
  );
}

/** A value as text: a string as it is, anything else as JSON. */
function contentText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '[not JSON]';
  }
}

function agentContext(agentName: string, session: Session): AgentContext {
  return {
    agentName,
    sessionId: session.id,
    session,
    thread: session.thread,
    logger: currentRuntime().logger,
    waitUntil: (work) => session.waitUntil(work),
  };
}
