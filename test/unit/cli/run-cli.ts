// Runs the CLI in this process with captured output.
import { main } from '../../../src/cli/main.js';

/** What one run printed and returned. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `otel-sessions <argv>`; stdout is not a terminal unless `isTTY`. */
export async function runCli(
  argv: string[],
  { isTTY = false, env = {}, signal }: { isTTY?: boolean; env?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (out += text), isTTY },
    stderr: { write: (text: string) => (err += text) },
    env,
    ...(signal === undefined ? {} : { signal }),
  });
  return { code, out, err };
}
