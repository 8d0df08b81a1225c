import { STYLE_END, STYLE_START } from './terminal-safe.js';

/** Text styles for terminal output; each returns its input unchanged when colour is off. */
export interface Palette {
  readonly enabled: boolean;
  readonly red: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly green: (text: string) => string;
  readonly cyan: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly bold: (text: string) => string;
}

/** A style as marks that printing turns into ANSI SGR sequences (see terminal-safe.ts). */
const style =
  (enabled: boolean, open: number, close: number) =>
  (text: string): string =>
    enabled && text !== '' ? `${STYLE_START}${open}${STYLE_END}${text}${STYLE_START}${close}${STYLE_END}` : text;

/** A palette of plain ANSI styles, or of no-ops when `enabled` is false. */
export function createPalette(enabled: boolean): Palette {
  return {
    enabled,
    red: style(enabled, 31, 39),
    yellow: style(enabled, 33, 39),
    green: style(enabled, 32, 39),
    cyan: style(enabled, 36, 39),
    dim: style(enabled, 2, 22),
    bold: style(enabled, 1, 22),
  };
}

/**
 * Whether to colour: only on a terminal, and never when `NO_COLOR` is set to anything
 * but the empty string (https://no-color.org).
 */
export function shouldColor(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  const noColor = env.NO_COLOR;
  return isTTY === true && (noColor === undefined || noColor === '');
}
