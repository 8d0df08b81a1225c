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

/** No such session or thread in the source read: `main` adds where else it may be. */
export class NotFoundError extends CliError {
  /** What was looked for. */
  readonly kind: 'session' | 'thread';
  /** Its ID. */
  readonly id: string;

  constructor(kind: 'session' | 'thread', id: string, where: string) {
    super(`no ${kind} ${id} in ${where}`, EXIT_FAILURE);
    this.name = 'NotFoundError';
    this.kind = kind;
    this.id = id;
  }
}
