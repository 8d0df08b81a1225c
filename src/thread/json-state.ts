import { ThreadTooLargeError } from './thread-too-large-error.js';
import type { JsonValue, StateUpdate, ThreadSnapshot } from './thread-store.js';

/** One MiB: the largest a thread's state and metadata may be together, unless configured. */
export const DEFAULT_MAX_THREAD_BYTES = 1024 * 1024;

/** How deeply arrays and objects may nest in one stored value. */
export const MAX_JSON_DEPTH = 64;

/**
 * `value` as the JSON value `JSON.parse(JSON.stringify(value))` would give, as a fresh copy;
 * or a `TypeError` naming `label` (e.g. `thread state "cart"`) and the path inside the value.
 *
 * As `JSON.stringify` does, `undefined` inside an object drops the property, and inside an
 * array (or an empty slot) becomes `null`; `-0` becomes `0`. What JSON would change or lose
 * silently is refused instead: functions, symbols, `BigInt`, `NaN`, `±Infinity`, cycles,
 * class instances (`Date`, `Map`, …), symbol keys, and nesting deeper than
 * {@link MAX_JSON_DEPTH} levels. A top-level `undefined` is refused too: callers decide what
 * it means (`state.set(key, undefined)` deletes the key; a metadata entry is dropped).
 */
export function toJsonValue(label: string, value: unknown): JsonValue {
  try {
    return copyJson(value, [], new Set());
  } catch (error) {
    if (error instanceof JsonProblem)
      throw new TypeError(`${label} is not JSON: ${describePath(error.path)} ${error.reason}`);
    throw error;
  }
}

/** `value` as JSON text after {@link toJsonValue}: the one serialization a store needs. */
export function encodeJsonValue(label: string, value: unknown): string {
  return JSON.stringify(toJsonValue(label, value));
}

/**
 * The JSON text of state `key` once `update` is applied to its stored text (`undefined`: the
 * key has no value); `undefined` when the update removes the key. Throws what the update throws.
 */
export function updatedText(key: string, update: StateUpdate, stored: string | undefined): string | undefined {
  const next = update.apply(stored === undefined ? undefined : (JSON.parse(stored) as JsonValue));
  return next === undefined ? undefined : encodeJsonValue(stateLabel(key), next);
}

/** The label of a state key in error messages. */
export function stateLabel(key: string): string {
  return `thread state "${key}"`;
}

/** The label of a metadata entry in error messages. */
export function metadataLabel(key: string): string {
  return `thread metadata "${key}"`;
}

/**
 * Metadata as stored: a plain object of JSON values, entries whose value is `undefined`
 * dropped (as `JSON.stringify` drops them). Throws a `TypeError` naming the entry otherwise.
 */
export function toJsonMetadata(metadata: unknown): Record<string, JsonValue> {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
    throw new TypeError('thread metadata must be a plain object');
  const prototype: unknown = Object.getPrototypeOf(metadata);
  if (prototype !== Object.prototype && prototype !== null)
    throw new TypeError('thread metadata must be a plain object');
  const entries: Array<[string, JsonValue]> = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (value !== undefined) entries.push([key, toJsonValue(metadataLabel(key), value)]);
  }
  // fromEntries defines own properties: a key named "__proto__" stays a plain key.
  return Object.fromEntries(entries);
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

/** Throws a {@link ThreadTooLargeError} when a thread of `bytes` bytes would be above `maxBytes`. */
export function assertThreadSize(threadId: string, bytes: number, maxBytes: number): void {
  if (bytes > maxBytes) throw new ThreadTooLargeError(threadId, bytes, maxBytes);
}

/** Where and why a value is not JSON; caught by {@link toJsonValue}. */
class JsonProblem extends Error {
  constructor(
    readonly path: Array<string | number>,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * The JSON copy of `value`. `path` is the way down from the top (pushed and popped, copied
 * only into a problem); `ancestors` detects cycles. Recursion stops at MAX_JSON_DEPTH, so a
 * value nested 100,000 deep is refused without exhausting the stack.
 */
function copyJson(value: unknown, path: Array<string | number>, ancestors: Set<object>): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new JsonProblem([...path], `is ${value}, which JSON cannot hold`);
      return value === 0 ? 0 : value;
    case 'undefined':
      throw new JsonProblem([...path], 'is undefined');
    case 'bigint':
      throw new JsonProblem([...path], 'is a BigInt (store it as a string)');
    case 'symbol':
      throw new JsonProblem([...path], 'is a symbol');
    case 'function':
      throw new JsonProblem([...path], 'is a function');
  }
  if (value === null) return null;
  const object = value as object;
  if (ancestors.has(object)) throw new JsonProblem([...path], 'is a cycle back to one of its parents');
  if (ancestors.size >= MAX_JSON_DEPTH)
    throw new JsonProblem([...path], `is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`);
  ancestors.add(object);
  const copy = Array.isArray(object) ? copyArray(object, path, ancestors) : copyObject(object, path, ancestors);
  ancestors.delete(object);
  return copy;
}

function copyArray(array: unknown[], path: Array<string | number>, ancestors: Set<object>): JsonValue[] {
  const copy: JsonValue[] = new Array<JsonValue>(array.length);
  for (let index = 0; index < array.length; index++) {
    const item = array[index];
    if (item === undefined) {
      copy[index] = null; // as JSON.stringify writes undefined (and empty slots) in arrays
      continue;
    }
    path.push(index);
    copy[index] = copyJson(item, path, ancestors);
    path.pop();
  }
  return copy;
}

function copyObject(
  object: object,
  path: Array<string | number>,
  ancestors: Set<object>,
): { [key: string]: JsonValue } {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
    const kind = typeof name === 'string' && name !== '' ? name : 'non-plain object';
    throw new JsonProblem([...path], `is a ${kind}, not a plain object (convert it, e.g. a Date with toISOString())`);
  }
  if (Object.getOwnPropertySymbols(object).length > 0) throw new JsonProblem([...path], 'has symbol keys');
  const entries: Array<[string, JsonValue]> = [];
  for (const [name, child] of Object.entries(object)) {
    if (child === undefined) continue; // dropped, as JSON.stringify drops it
    path.push(name);
    entries.push([name, copyJson(child, path, ancestors)]);
    path.pop();
  }
  // fromEntries defines own properties: a key named "__proto__" stays a plain key.
  return Object.fromEntries(entries);
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
