import { parseArgs } from 'node:util';
import { isSessionId, isThreadId } from '../session/ids.js';
import { CliError, EXIT_USAGE } from './cli-error.js';

/** The parsed command line. */
export interface CliArgs {
  command: 'logs' | 'show' | 'thread' | 'list' | 'flush-spool' | 'help';
  /** The session ID (`logs`, `show`) or thread ID (`thread`), validated. */
  id?: string;
  journal?: string;
  jaeger?: string;
  json: boolean;
  follow: boolean;
  /** `list`: how far back, in milliseconds. */
  sinceMs: number;
  service?: string;
  /** `list`: required `session.metadata.<key>` values. */
  metadata: [string, string][];
  /** `list`: the most sessions to print. */
  limit: number;
  /** `flush-spool`: the collector's base endpoint, over every endpoint variable. */
  endpoint?: string;
  /** `flush-spool`: how long to try, in milliseconds. */
  timeoutMs: number;
}

const ID_FORM = 'followed by 24 characters of A-Z a-z 0-9 _ -';
const DEFAULT_SINCE_MS = 24 * 3600 * 1000;
const DEFAULT_LIMIT = 50;
const DEFAULT_FLUSH_TIMEOUT_MS = 30_000;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses and checks the command line; throws a {@link CliError} with exit code 2 on bad input. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        journal: { type: 'string' },
        jaeger: { type: 'string' },
        json: { type: 'boolean', default: false },
        follow: { type: 'boolean', short: 'f', default: false },
        since: { type: 'string' },
        service: { type: 'string' },
        metadata: { type: 'string', multiple: true },
        limit: { type: 'string' },
        endpoint: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // parseArgs explains itself in one line (unknown option, missing value, …).
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw new CliError(`${message.replace(/\.$/, '')}; see otel-sessions --help`, EXIT_USAGE);
  }
  const { values, positionals } = parsed;
  const [command, id, ...extra] = positionals;
  const args: CliArgs = {
    command: 'help',
    json: values.json,
    follow: values.follow,
    sinceMs: values.since === undefined ? DEFAULT_SINCE_MS : parseDuration(values.since),
    metadata: (values.metadata ?? []).map(parseMetadata),
    limit: values.limit === undefined ? DEFAULT_LIMIT : parseLimit(values.limit),
    timeoutMs: values.timeout === undefined ? DEFAULT_FLUSH_TIMEOUT_MS : parseDuration(values.timeout, '--timeout'),
  };
  if (values.endpoint !== undefined) args.endpoint = values.endpoint;
  if (values.journal !== undefined) args.journal = values.journal;
  if (values.jaeger !== undefined) args.jaeger = values.jaeger;
  if (values.service !== undefined) args.service = values.service;
  if (values.journal !== undefined && values.jaeger !== undefined) {
    throw new CliError('use either --journal or --jaeger, not both', EXIT_USAGE);
  }
  if (values.help || command === undefined || command === 'help') return args;

  if (
    command !== 'logs' &&
    command !== 'show' &&
    command !== 'thread' &&
    command !== 'list' &&
    command !== 'flush-spool'
  ) {
    throw new CliError(
      `unknown command "${clip(command)}" (expected logs, show, thread, list or flush-spool)`,
      EXIT_USAGE,
    );
  }
  args.command = command;
  if (extra.length > 0) throw new CliError(`unexpected argument "${clip(extra[0] ?? '')}"`, EXIT_USAGE);
  const flushOnly = [values.endpoint === undefined ? '' : 'endpoint', values.timeout === undefined ? '' : 'timeout'];
  const misplaced = flushOnly.find(Boolean);
  if (command !== 'flush-spool' && misplaced) {
    throw new CliError(`--${misplaced} applies to flush-spool only`, EXIT_USAGE);
  }
  if (command === 'flush-spool') {
    if (id !== undefined) throw new CliError(`unexpected argument "${clip(id)}"`, EXIT_USAGE);
    if (values.jaeger !== undefined) throw new CliError('--jaeger does not apply to flush-spool', EXIT_USAGE);
    if (values.follow || values.json)
      throw new CliError('flush-spool takes --journal, --endpoint, --timeout', EXIT_USAGE);
  }
  if (args.follow && command !== 'logs') throw new CliError('--follow applies to logs only', EXIT_USAGE);
  const listOnly = Object.entries({
    since: values.since,
    service: values.service,
    metadata: values.metadata,
    limit: values.limit,
  })
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
  if (command !== 'list' && listOnly.length > 0) {
    throw new CliError(`--${listOnly[0]} applies to list only`, EXIT_USAGE);
  }

  if (command === 'flush-spool') return args;
  if (command === 'list') {
    if (id !== undefined) throw new CliError(`unexpected argument "${clip(id)}"`, EXIT_USAGE);
    return args;
  }
  if (command === 'thread') {
    if (id === undefined) throw new CliError('thread needs a thread ID: otel-sessions thread thrd_…', EXIT_USAGE);
    if (!isThreadId(id)) {
      throw new CliError(`"${clip(id)}" is not a thread ID (expected thrd_ ${ID_FORM})${hint(id)}`, EXIT_USAGE);
    }
  } else {
    if (id === undefined)
      throw new CliError(`${command} needs a session ID: otel-sessions ${command} sess_…`, EXIT_USAGE);
    if (!isSessionId(id)) {
      throw new CliError(`"${clip(id)}" is not a session ID (expected sess_ ${ID_FORM})${hint(id)}`, EXIT_USAGE);
    }
  }
  args.id = id;
  return args;
}

/** Points at the other command when the ID is of the other kind. */
function hint(id: string): string {
  const given: unknown = id;
  if (isThreadId(given)) return `; for a thread, use: otel-sessions thread ${given}`;
  if (isSessionId(given)) return `; for a session, use: otel-sessions show ${given}`;
  return '';
}

/** A duration such as `90s`, `15m`, `1h`, `2d`, in milliseconds. */
function parseDuration(text: string, option = '--since'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (match === null) {
    throw new CliError(`${option} "${clip(text)}" is not a duration (expected e.g. 30m, 1h, 2d)`, EXIT_USAGE);
  }
  return Number(match[1]) * (UNITS[match[2] ?? 'ms'] ?? 1);
}

function parseMetadata(text: string): [string, string] {
  const equals = text.indexOf('=');
  if (equals <= 0) throw new CliError(`--metadata "${clip(text)}" is not key=value`, EXIT_USAGE);
  return [text.slice(0, equals), text.slice(equals + 1)];
}

function parseLimit(text: string): number {
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new CliError(`--limit "${clip(text)}" is not a positive whole number`, EXIT_USAGE);
  }
  return limit;
}

/** Keeps echoed input short, on one line. */
function clip(text: string): string {
  const oneLine = [...text].map((char) => (char < ' ' || char === '\u007f' ? '?' : char)).join('');
  return oneLine.length > 40 ? `${oneLine.slice(0, 39)}…` : oneLine;
}
