/** Exit code of a usage error: a malformed ID, an unknown option, a missing argument. */
export const EXIT_USAGE = 2;
/** Exit code of a failure: an unknown session, an unreachable source. */
export const EXIT_FAILURE = 1;

/**
 * An error meant for the person at the terminal: `main` prints its one-line message,
 * without a stack trace, and exits with its code.
 */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
