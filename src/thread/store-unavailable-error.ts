/**
 * Rejection of a thread store operation because the store cannot be reached (down,
 * reconnecting, or too slow). The operation may be retried later; a session that could not
 * load its thread should start a fresh one. The underlying error is in `cause`.
 */
export class ThreadStoreUnavailableError extends Error {
  /** Always `'ThreadStoreUnavailableError'`. */
  override readonly name = 'ThreadStoreUnavailableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
