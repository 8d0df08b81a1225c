/**
 * Checks a numeric option at construction: returns it, or throws a RangeError that names it.
 * `what` is the option as the message should name it, e.g. `'SqliteThreadStore: ttlMs'`.
 * @internal
 */
export function positiveInteger(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}

/** As {@link positiveInteger}, for any finite number above zero. @internal */
export function positiveNumber(what: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${what} must be a positive number, got ${value}`);
  return value;
}
