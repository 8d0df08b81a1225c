/**
 * Refusal of a thread write that would make the thread larger than its cap
 * (`maxThreadBytes`): thrown by `thread.state.set` when the session alone would pass it,
 * and by a store's `save` when the stored thread would (several sessions writing at once).
 * Nothing of the refused change is written; the thread stays writable, so smaller writes
 * still succeed. A `RangeError`, so `instanceof RangeError` checks keep working.
 */
export class ThreadTooLargeError extends RangeError {
  /** Always `'ThreadTooLargeError'`. */
  override readonly name = 'ThreadTooLargeError';

  constructor(
    /** The thread that would have grown too large. */
    readonly threadId: string,
    /** The thread's size after the change, in UTF-8 bytes (state keys and JSON texts, plus metadata JSON). */
    readonly bytes: number,
    /** The cap, in bytes. */
    readonly maxBytes: number,
  ) {
    super(`thread ${threadId} would be ${bytes} bytes after this change, above its cap of ${maxBytes} bytes`);
  }
}
