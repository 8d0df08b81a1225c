import type { Palette } from '../format/palette.js';
import type { SessionSource } from '../sources/session-source.js';

/** What every command gets from `main`. */
export interface CommandContext {
  source: SessionSource;
  palette: Palette;
  /** Print machine-readable JSON instead of text. */
  json: boolean;
  /** Writes one line to stdout. */
  print(line: string): void;
  /** Ends `--follow`. */
  signal: AbortSignal;
}
