// The few parts of Node's built-in `node:sqlite` the SQLite thread store uses, loaded only
// when a store is made: importing the package on a Node without it must not fail.

/** A value SQLite binds or returns. */
export type SqlValue = string | number | bigint | null | Uint8Array;

/** A prepared statement (`StatementSync`). @internal */
export interface SqliteStatement {
  run(...params: SqlValue[]): { changes: number | bigint };
  get(...params: SqlValue[]): Record<string, SqlValue> | undefined;
  all(...params: SqlValue[]): Array<Record<string, SqlValue>>;
}

/** An open database (`DatabaseSync`). @internal */
export interface SqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  close(): void;
}

interface SqliteModule {
  DatabaseSync: new (path: string) => SqliteDatabase;
}

let loaded: SqliteModule | undefined;

/**
 * Opens the SQLite database at `path` (made if missing) with `node:sqlite`.
 * @throws {Error} when this Node has no `node:sqlite` (before 22.13, or 22.5 without `--experimental-sqlite`).
 * @internal
 */
export function openSqliteDatabase(path: string): SqliteDatabase {
  loaded ??= loadSqlite();
  if (!loaded) {
    throw new Error(
      `otel-sessions: SqliteThreadStore needs node:sqlite, built into Node.js 22.13 and later (22.5 with --experimental-sqlite); this is Node.js ${process.versions.node}. Use MemoryThreadStore or RedisThreadStore here.`,
    );
  }
  return new loaded.DatabaseSync(path);
}

/** Whether this Node has `node:sqlite`. */
export function isSqliteAvailable(): boolean {
  loaded ??= loadSqlite();
  return loaded !== undefined;
}

/**
 * `node:sqlite`, or `undefined` on a Node without it. Node 22 prints an ExperimentalWarning
 * the first time it is loaded; only that one warning is held back, during the load alone.
 */
function loadSqlite(): SqliteModule | undefined {
  if (typeof process.getBuiltinModule !== 'function') return undefined;
  const descriptor = Object.getOwnPropertyDescriptor(process, 'emitWarning');
  const emitWarning = process.emitWarning.bind(process);
  const filtered = (warning: string | Error, ...rest: unknown[]): void => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: unknown } | undefined)?.type;
    const text = typeof warning === 'string' ? warning : warning.message;
    if (type === 'ExperimentalWarning' && /SQLite/i.test(text)) return;
    Reflect.apply(emitWarning, undefined, [warning, ...rest]);
  };
  Object.defineProperty(process, 'emitWarning', { value: filtered, configurable: true, writable: true });
  try {
    return process.getBuiltinModule('node:sqlite');
  } catch {
    return undefined;
  } finally {
    if (descriptor) Object.defineProperty(process, 'emitWarning', descriptor);
  }
}
