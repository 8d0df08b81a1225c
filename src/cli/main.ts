import { DEFAULT_JOURNAL_DIR } from '../export/journal-writer.js';
import { parseCliArgs, type CliArgs } from './args.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, NotFoundError } from './cli-error.js';
import { processIo, type CliIo } from './cli-io.js';
import type { CommandContext } from './commands/command-context.js';
import { flushSpoolCommand } from './commands/flush-spool.js';
import { listCommand } from './commands/list.js';
import { logsCommand } from './commands/logs.js';
import { showCommand } from './commands/show.js';
import { threadCommand } from './commands/thread.js';
import { terminalSafe } from './format/terminal-safe.js';
import { createPalette, shouldColor } from './format/palette.js';
import { HELP } from './help.js';
import { FallbackSource } from './sources/fallback.js';
import { JaegerSource } from './sources/jaeger.js';
import { JournalSource } from './sources/journal.js';
import type { SessionSource } from './sources/session-source.js';

/**
 * Runs the `otel-sessions` command line and resolves to its exit code; never rejects.
 * User errors print one line to stderr (`otel-sessions: …`), without a stack trace.
 *
 * @param argv the arguments after the program name
 * @param io the streams and environment to use; the process's own by default
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let source: SessionSource | undefined;
  let stopOnSigint: (() => void) | undefined;
  let args: CliArgs | undefined;
  try {
    args = parseCliArgs(argv);
    if (args.command === 'help') {
      io.stdout.write(HELP);
      return 0;
    }
    if (args.command === 'flush-spool') {
      return await flushSpoolCommand({
        journalDir: args.journal ?? (io.env.OTEL_SESSIONS_JOURNAL_DIR || DEFAULT_JOURNAL_DIR),
        env: io.env,
        timeoutMs: args.timeoutMs,
        print: (line) => io.stdout.write(`${line}\n`),
        ...(args.endpoint === undefined ? {} : { endpoint: args.endpoint }),
      });
    }
    source = openSource(args, io.env);
    let signal = io.signal;
    if (signal === undefined) {
      const controller = new AbortController();
      stopOnSigint = () => controller.abort();
      process.once('SIGINT', stopOnSigint);
      signal = controller.signal;
    }
    const palette = createPalette(!args.json && shouldColor(io.stdout.isTTY, io.env));
    const { json } = args;
    const ctx: CommandContext = {
      source,
      palette,
      json,
      // JSON escapes what it carries; text is made safe for the terminal, line by line.
      print: (line) => io.stdout.write(`${json ? line : terminalSafe(line, palette.enabled)}\n`),
      signal,
    };
    return await run(args, ctx);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`otel-sessions: ${error.message}\n`);
      if (error instanceof NotFoundError && source instanceof JournalSource && args !== undefined) {
        io.stderr.write(elsewhereHint(args, error));
      }
      return error.exitCode;
    }
    // A bug, not a user error: say so in one line; the stack only when asked for.
    const detail = error instanceof Error ? error.message : String(error);
    io.stderr.write(`otel-sessions: internal error: ${detail}\n`);
    if (io.env.OTEL_SESSIONS_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return EXIT_FAILURE;
  } finally {
    if (stopOnSigint !== undefined) process.removeListener('SIGINT', stopOnSigint);
    const skipped = source?.skippedLines ?? 0;
    if (skipped > 0) {
      io.stderr.write(`otel-sessions: skipped ${skipped} unreadable journal line${skipped === 1 ? '' : 's'}\n`);
    }
  }
}

function run(args: CliArgs, ctx: CommandContext): Promise<number> {
  switch (args.command) {
    case 'logs':
      return logsCommand(ctx, requireId(args), args.follow);
    case 'show':
      return showCommand(ctx, requireId(args));
    case 'thread':
      return threadCommand(ctx, requireId(args));
    case 'list':
      return listCommand(ctx, {
        sinceMs: args.sinceMs,
        metadata: args.metadata,
        limit: args.limit,
        now: Date.now(),
        ...(args.service === undefined ? {} : { service: args.service }),
      });
    default:
      return Promise.resolve(0);
  }
}

function requireId(args: CliArgs): string {
  if (args.id === undefined) throw new CliError(`${args.command} needs an ID`, EXIT_USAGE);
  return args.id;
}

/**
 * The source named on the command line (`--jaeger` or `--journal`), alone; otherwise the
 * journal (OTEL_SESSIONS_JOURNAL_DIR, else its default folder), followed by the Jaeger of
 * OTEL_SESSIONS_JAEGER_URL when that is set: an app that exported to a collector kept no
 * journal, and its sessions are found there.
 */
function openSource(args: CliArgs, env: Record<string, string | undefined>): SessionSource {
  if (args.jaeger !== undefined) return openJaeger(args.jaeger);
  const journal = new JournalSource(args.journal ?? (env.OTEL_SESSIONS_JOURNAL_DIR || DEFAULT_JOURNAL_DIR));
  const jaeger = args.journal === undefined ? env.OTEL_SESSIONS_JAEGER_URL || undefined : undefined;
  return jaeger === undefined ? journal : new FallbackSource([journal, openJaeger(jaeger)]);
}

function openJaeger(jaeger: string): JaegerSource {
  let url: URL;
  try {
    url = new URL(jaeger);
  } catch {
    throw new CliError(`"${jaeger}" is not a URL (expected e.g. http://localhost:16686)`, EXIT_USAGE);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`"${jaeger}" is not an http(s) URL (expected e.g. http://localhost:16686)`, EXIT_USAGE);
  }
  return new JaegerSource(jaeger.replace(/\/+$/, ''));
}

/**
 * Where a session or thread missing from the journal may be: an app that exports to a
 * collector keeps no journal (unless OTEL_SESSIONS_JOURNAL=true), so it is in Jaeger.
 */
function elsewhereHint(args: CliArgs, error: NotFoundError): string {
  return (
    `  An app that exports to a collector (OTEL_EXPORTER_OTLP_ENDPOINT set) keeps no journal; look in Jaeger:\n` +
    `    npx otel-sessions ${args.command} ${error.id} --jaeger http://localhost:16686\n` +
    `  (the URL of your Jaeger's query API), or set OTEL_SESSIONS_JAEGER_URL to look there whenever the journal has no such ${error.kind}.\n`
  );
}
