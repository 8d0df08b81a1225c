/** Where the CLI writes and what it reads from its surroundings; `process` by default. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** Ends `--follow`; by default, Ctrl-C (SIGINT). */
  signal?: AbortSignal;
}

/** The real process's streams and environment. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
