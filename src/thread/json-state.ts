import type { JsonValue, ThreadSnapshot } from './thread-store.js';

/** One MiB: the largest a thread's state and metadata may be together, unless configured. */
export const DEFAULT_MAX_THREAD_BYTES = 1024 * 1024;

/**
 * Throws a `TypeError` naming `key` (and the path inside the value) unless `value` is JSON
 * that survives `JSON.stringify` / `JSON.parse` unchanged: strings, finite numbers,
 * booleans, `null`, arrays without holes and plain objects of those. Functions, symbols,
 * `undefined`, `BigInt`, `NaN`, `±Infinity`, cycles and class instances (`Date`, `Map`,
 * …) are refused, so that nothing is silently dropped or changed on the way to the store
 * (the one exception: `-0` is accepted and comes back as `0`, as JSON has no `-0`).
 */
export function assertJsonValue(key: string, value: unknown): asserts value is JsonValue {
  const problem = findProblem(value, [], new Set());
  if (problem)
    throw new TypeError(`thread state "${key}" is not JSON: ${describePath(problem.path)} ${problem.reason}`);
}

/** `value` as JSON text, after {@link assertJsonValue}: the one serialization a `set` needs. */
export function encodeJsonValue(key: string, value: unknown): string {
  assertJsonValue(key, value);
  return JSON.stringify(value);
}

/** UTF-8 bytes of `text`. */
export function byteLengthOf(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** UTF-8 bytes of a JSON value's text. */
export function byteSizeOf(value: JsonValue): number {
  return byteLengthOf(JSON.stringify(value));
}

/** Bytes one state entry counts for a thread's size: its key plus its JSON text. */
export function entryByteSize(key: string, jsonText: string): number {
  return byteLengthOf(key) + byteLengthOf(jsonText);
}

/**
 * The size a thread counts against its cap: for every state entry its key plus its JSON
 * text, plus the JSON text of the metadata, all in UTF-8 bytes.
 */
export function threadByteSize(snapshot: ThreadSnapshot): number {
  let bytes = byteSizeOf(snapshot.metadata);
  for (const [key, value] of Object.entries(snapshot.state)) bytes += entryByteSize(key, JSON.stringify(value));
  return bytes;
}

/** Throws a `RangeError` when a thread of `bytes` bytes would be above `maxBytes`. */
export function assertThreadSize(threadId: string, bytes: number, maxBytes: number): void {
  if (bytes > maxBytes) {
    throw new RangeError(`thread state of ${threadId} would be ${bytes} bytes, above the cap of ${maxBytes}`);
  }
}

interface Problem {
  path: Array<string | number>;
  reason: string;
}

/** The first non-JSON part of `value`, depth first; `ancestors` detects cycles. */
function findProblem(value: unknown, path: Array<string | number>, ancestors: Set<object>): Problem | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { path, reason: `is ${value}, which JSON cannot hold` };
    case 'undefined':
      return { path, reason: 'is undefined' };
    case 'bigint':
      return { path, reason: 'is a BigInt (store it as a string)' };
    case 'symbol':
      return { path, reason: 'is a symbol' };
    case 'function':
      return { path, reason: 'is a function' };
  }
  if (value === null) return undefined;
  const object = value as object;
  if (ancestors.has(object)) return { path, reason: 'is a cycle back to one of its parents' };
  ancestors.add(object);
  const problem = Array.isArray(object) ? findInArray(object, path, ancestors) : findInObject(object, path, ancestors);
  ancestors.delete(object);
  return problem;
}

function findInArray(array: unknown[], path: Array<string | number>, ancestors: Set<object>): Problem | undefined {
  for (let index = 0; index < array.length; index++) {
    if (!(index in array)) return { path: [...path, index], reason: 'is an empty slot of a sparse array' };
    const problem = findProblem(array[index], [...path, index], ancestors);
    if (problem) return problem;
  }
  return undefined;
}

function findInObject(object: object, path: Array<string | number>, ancestors: Set<object>): Problem | undefined {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
    const kind = typeof name === 'string' && name !== '' ? name : 'non-plain object';
    return { path, reason: `is a ${kind}, not a plain object (convert it, e.g. a Date with toISOString())` };
  }
  if (Object.getOwnPropertySymbols(object).length > 0) return { path, reason: 'has symbol keys' };
  for (const [name, child] of Object.entries(object)) {
    const problem = findProblem(child, [...path, name], ancestors);
    if (problem) return problem;
  }
  return undefined;
}

/** `value.items[2].name`-style path for error messages. */
function describePath(path: Array<string | number>): string {
  if (path.length === 0) return 'the value';
  let text = 'value';
  for (const step of path) {
    if (typeof step === 'number') text += `[${step}]`;
    else text += /^[A-Za-z_$][\w$]*$/.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  }
  return text;
}
