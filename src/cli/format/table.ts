/** One cell: its text, and how to style it once padded. */
export interface Cell {
  text: string;
  style?: (text: string) => string;
  /** Right-align (numbers such as durations). */
  right?: boolean;
}

/**
 * The width of each column: its widest text, but never more than `caps[i]` (a longer text
 * then runs past its column rather than being cut).
 */
export function columnWidths(rows: readonly (readonly Cell[])[], caps: readonly (number | undefined)[] = []): number[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.min(Math.max(widths[index] ?? 0, cell.text.length), caps[index] ?? Infinity);
    });
  }
  return widths;
}

/**
 * One row laid out in columns two spaces apart, padded by the plain text (so colours never
 * upset the alignment); the last column is not padded.
 */
export function renderRow(row: readonly Cell[], widths: readonly number[]): string {
  return row
    .map((cell, index) => {
      const width = widths[index] ?? 0;
      const last = index === row.length - 1;
      const padded = cell.right ? cell.text.padStart(width) : last ? cell.text : cell.text.padEnd(width);
      return cell.style === undefined ? padded : styleKeepingPadding(padded, cell.style);
    })
    .join('  ')
    .trimEnd();
}

/** Lays rows out in aligned columns; returns the lines, without newlines. */
export function renderTable(rows: readonly (readonly Cell[])[], caps?: readonly (number | undefined)[]): string[] {
  const widths = columnWidths(rows, caps);
  return rows.map((row) => renderRow(row, widths));
}

/** Styles the text but not the spaces that pad it. */
function styleKeepingPadding(padded: string, style: (text: string) => string): string {
  const trimmed = padded.trim();
  if (trimmed === '') return padded;
  const start = padded.indexOf(trimmed);
  return padded.slice(0, start) + style(trimmed) + padded.slice(start + trimmed.length);
}
