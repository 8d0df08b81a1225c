import type { FieldValue, Fields } from '../model.js';

/** A time as ISO 8601 in UTC with milliseconds: `2025-06-01T12:00:00.123Z`. */
export function formatTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(Math.floor(ms)).toISOString() : '-';
}

/** A duration for people: `0.42 ms`, `123.4 ms`, `2.35 s`, `3m 05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

const MAX_VALUE_LENGTH = 120;

/** A field's value as plain text: a string as it is, anything else as JSON. */
export function fieldText(value: FieldValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A field value as it appears in `key=value`: bare when it reads unambiguously, else JSON. */
export function formatValue(value: FieldValue): string {
  let text = typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (text.length > MAX_VALUE_LENGTH) text = `${text.slice(0, MAX_VALUE_LENGTH - 1)}…`;
  return text;
}

/** Fields as `key=value key=value`, leaving out the keys in `omit`. */
export function formatFields(fields: Fields, omit: ReadonlySet<string> = new Set()): string {
  return Object.entries(fields)
    .filter(([key]) => !omit.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`)
    .join(' ');
}
