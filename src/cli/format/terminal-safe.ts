/**
 * Text for a terminal: values, messages and names come from telemetry, which anyone who can
 * send a request can shape, so no control character of theirs may reach the terminal (an
 * `ESC ] 0 ;` sequence retitles the window, `ESC [ 2 J` clears it, a bidi override reorders
 * what is shown). The palette marks its own styles with private-use characters, which become
 * the real escape sequences only after everything else has been made visible.
 */

/** Opens a style mark: the SGR parameter follows, then {@link STYLE_END}. */
export const STYLE_START = '\uE000';
/** Closes a style mark. */
export const STYLE_END = '\uE001';

// C0 controls (tab aside), DEL, C1 controls, the line and paragraph separators, and the bidi
// embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;
const STYLE_MARK = /\uE000(\d{1,2})\uE001/g;

/** Every control character of `line` as a visible escape (`\u001b`); the palette's marks as real styles when `styled`. */
export function terminalSafe(line: string, styled: boolean): string {
  const visible = line.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return styled ? visible.replace(STYLE_MARK, '\x1b[$1m') : visible;
}
